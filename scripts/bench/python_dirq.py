# python-dirq's QueueSimple for scripts/bench.ts: adds (link, unlink), then
# takes with lock, get and remove. Usage: python_dirq.py DIR N SIZE; prints
# "deliver/s claim/s".
import sys, time, shutil
from dirq.QueueSimple import QueueSimple
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
shutil.rmtree(d, ignore_errors=True)
q = QueueSimple(d)
data = b"x" * size
t = time.perf_counter()
for i in range(n): q.add(data)
t1 = time.perf_counter()
done = 0
for name in q:
    if q.lock(name):
        assert len(q.get(name)) == size
        q.remove(name)
        done += 1
t2 = time.perf_counter()
assert done == n
print(round(n / (t1 - t)), round(n / (t2 - t1)))
