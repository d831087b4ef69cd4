import json,sys,collections
# usage: cmp.py old1.json new1.json old2.json new2.json ... ; prints per (layer,config) ms and x_dnnl for each file
rows=collections.OrderedDict()
for i,f in enumerate(sys.argv[1:]):
    for r in json.load(open(f))['rows']:
        rows.setdefault((r['layer'],r['config']),[None]*(len(sys.argv)-1))[i]=(r['ms'],r['x_dnnl'])
print('layer config ' + ' '.join(a.split('/')[-1] for a in sys.argv[1:]))
for (l,c),v in rows.items():
    print(f"{l:12s} {c:10s} " + ' '.join(f"{x[0]:7.3f}({x[1]:.2f})" if x else '   -   ' for x in v))
