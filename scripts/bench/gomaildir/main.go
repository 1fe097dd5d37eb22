// go-maildir for scripts/bench.ts: delivers with NewDelivery (create in tmp,
// write, close, link, unlink) and takes with Unseen (a rename per file), Open
// and Remove. Usage: gomaildir DIR N SIZE; prints "deliver/s claim/s".
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/emersion/go-maildir"
)

func main() {
	dir := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	size, _ := strconv.Atoi(os.Args[3])
	data := make([]byte, size)
	d := maildir.Dir(dir)
	if err := d.Init(); err != nil {
		panic(err)
	}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		del, err := maildir.NewDelivery(dir)
		if err != nil {
			panic(err)
		}
		if _, err := del.Write(data); err != nil {
			panic(err)
		}
		if err := del.Close(); err != nil {
			panic(err)
		}
	}
	t1 := time.Now()
	keys, err := d.Unseen()
	if err != nil {
		panic(err)
	}
	for _, k := range keys {
		f, err := d.Open(k)
		if err != nil {
			panic(err)
		}
		if b, err := io.ReadAll(f); err != nil || len(b) != size {
			panic("short read")
		}
		f.Close()
		if err := d.Remove(k); err != nil {
			panic(err)
		}
	}
	t2 := time.Now()
	fmt.Printf("%.0f %.0f\n", float64(n)/t1.Sub(t0).Seconds(), float64(len(keys))/t2.Sub(t1).Seconds())
}
