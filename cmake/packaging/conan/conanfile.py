# Conan 2 recipe for finegrain (header-only). From the repository root:
#   conan create cmake/packaging/conan --build=missing
# The recipe is not at the root: export_sources() takes what the package needs from three
# levels up, and set_version() reads include/finegrain/version.hpp.
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class FinegrainConan(ConanFile):
    name = "finegrain"
    description = "Header-only C++17 inference kernels for fine-grained structured sparsity and a ReRAM crossbar model"
    license = "BSD-3-Clause"
    url = "https://github.com/finegrain/finegrain"
    homepage = "https://github.com/finegrain/finegrain"
    topics = ("simd", "sparsity", "pruning", "dnn", "inference", "reram", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    no_copy_source = True

    # Where the CMake helper goes in the package: the same place `cmake --install` puts it.
    _cmake_dir = "share/cmake/finegrain"

    @property
    def _repo_root(self):
        return os.path.join(self.recipe_folder, "..", "..", "..")

    def set_version(self):
        if self.version:
            return
        text = load(self, os.path.join(self._repo_root, "include", "finegrain", "version.hpp"))
        parts = [re.search(r"#define FINEGRAIN_VERSION_%s (\d+)" % p, text).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
        self.version = ".".join(parts)

    def export_sources(self):
        root = self._repo_root
        dst = self.export_sources_folder
        copy(self, "LICENSE", root, dst)
        copy(self, "*", os.path.join(root, "include"), os.path.join(dst, "include"))
        copy(self, "finegrainDispatch.cmake", os.path.join(root, "cmake"), os.path.join(dst, "cmake"))
        copy(self, "dispatch_arch.cpp.in", os.path.join(root, "cmake", "templates"),
             os.path.join(dst, "cmake", "templates"))

    def layout(self):
        basic_layout(self)

    def requirements(self):
        self.requires("xsimd/[>=8.1 <14]", transitive_headers=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, 17)

    def package(self):
        src = self.source_folder
        copy(self, "LICENSE", src, os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", os.path.join(src, "include"), os.path.join(self.package_folder, "include"))
        copy(self, "*.inc", os.path.join(src, "include"), os.path.join(self.package_folder, "include"))
        # finegrain_target_dispatch() finds templates/ next to its own file.
        cmake_dir = os.path.join(self.package_folder, *self._cmake_dir.split("/"))
        copy(self, "finegrainDispatch.cmake", os.path.join(src, "cmake"), cmake_dir)
        copy(self, "dispatch_arch.cpp.in", os.path.join(src, "cmake", "templates"), os.path.join(cmake_dir, "templates"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "finegrain")
        self.cpp_info.set_property("cmake_target_name", "finegrain::finegrain")
        self.cpp_info.set_property("pkg_config_name", "finegrain")
        # CMakeDeps writes its own finegrain-config.cmake; this brings finegrain_target_dispatch().
        self.cpp_info.set_property("cmake_build_modules", [f"{self._cmake_dir}/finegrainDispatch.cmake"])
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
