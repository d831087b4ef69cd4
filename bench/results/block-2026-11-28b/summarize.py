import glob,collections,statistics,sys
tag=sys.argv[1]
d=collections.defaultdict(dict)
for f in sorted(glob.glob('' + (sys.argv[2] if len(sys.argv) > 2 else '.') + '/%s_*.txt'%tag)):
    t=f.split(tag+'_')[1][:-4]
    l=None
    for line in open(f):
        if ' t1 ' in line or ' t2 ' in line: l=line.split()[0]
        elif '@' in line:
            x=line.split(); d[(l,x[0])][t]=float(x[x.index('x_dnnl')+1])
tags=sorted({t for v in d.values() for t in v})
print('%-14s %-7s'%('layer','cfg'), ' '.join('%8s'%t for t in tags))
for k,v in sorted(d.items(), key=lambda kv:(kv[0][1],kv[0][0])): print('%-14s %-7s'%k,' '.join('%8.2f'%v.get(t,0) for t in tags))
for cfg in sorted({k[1] for k in d}):
    print('MEDIAN',cfg,' '.join('%8.2f'%statistics.median([v[t] for k,v in d.items() if k[1]==cfg and t in v]) for t in tags))
