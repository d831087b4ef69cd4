import json, sys, math
files = sys.argv[1:]
data = {}
layers = []; configs = []
for f in files:
    for r in json.load(open(f))['rows']:
        if r['layer'] not in layers: layers.append(r['layer'])
        if r['config'] not in configs: configs.append(r['config'])
        data[(f, r['layer'], r['config'])] = r['x_dnnl']
print('| layer | ' + ' | '.join(f.split('/')[-1].replace('.json','') for f in files) + ' |')
print('|---|' + '---|' * len(files))
for l in layers:
    print('| ' + l + ' | ' + ' | '.join(' / '.join('%.2f' % data[(f, l, c)] if (f, l, c) in data else '-' for c in configs) for f in files) + ' |')
row = []
for f in files:
    gm = []
    for c in configs:
        v = [data[(f, l, c)] for l in layers if (f, l, c) in data]
        gm.append('%.2f (%.2f-%.2f)' % (math.exp(sum(map(math.log, v)) / len(v)), min(v), max(v)) if v else '-')
    row.append(' / '.join(gm))
print('| geomean (min-max) | ' + ' | '.join(row) + ' |')
print('configs:', configs)
