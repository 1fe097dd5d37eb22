# Python's standard-library maildir for scripts/bench.ts, for reference.
# Usage: python_maildir.py DIR N SIZE; prints "deliver/s claim/s".
import mailbox, sys, time, shutil, os
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
shutil.rmtree(d, ignore_errors=True)
box = mailbox.Maildir(d, factory=None, create=True)
data = b"x" * size
t = time.perf_counter()
for i in range(n): box.add(data)
t1 = time.perf_counter()
for key in list(box.iterkeys()):
    box.get_bytes(key); box.remove(key)
t2 = time.perf_counter()
print(round(n / (t1 - t)), round(n / (t2 - t1)))
