// modvec: the reference side of tests/gen_modify_vectors.sh.  Built against
// boxo v0.43.0 (the module set of Kubo v0.43.1, from the local Go module
// cache), it runs the spec lines of tests/vectors/modify_vectors.h on boxo's
// own importer and DagModifier, with the calls Kubo's `ipfs files write`
// makes (core/commands/files.go, boxo mfs/file.go and fd.go), and prints the
// root CID after each step.
//
//	modvec gen SEED LEN      the test bytes (splitmix64, as tests/test_modify.c)
//	modvec run < specs       one line of CIDs per spec line
//
// Spec line: INIT | STEP | STEP ...
//
//	new V HASH                          the empty file `files write --create` makes
//	add LAYOUT V RAW HASH CHUNK SEED LEN `ipfs add` (balanced|trickle), then
//	                                    files cp (which flushes the file)
//	W OFF SEED LEN [t] [c=N] [r=0|1]    files write --offset OFF [--truncate]
//	                                    [--count N] [--raw-leaves=B]
//	T SIZE                              DagModifier.Truncate(SIZE), then flush
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	chunker "github.com/ipfs/boxo/chunker"
	mdag "github.com/ipfs/boxo/ipld/merkledag"
	mdtest "github.com/ipfs/boxo/ipld/merkledag/test"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	h "github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/boxo/ipld/unixfs/importer/trickle"
	mod "github.com/ipfs/boxo/ipld/unixfs/mod"
	cid "github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	mh "github.com/multiformats/go-multihash"
)

func gen(seed uint64, n int) []byte {
	b := make([]byte, n)
	s := seed
	for i := 0; i < n; i += 8 {
		s += 0x9E3779B97F4A7C15
		z := s
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		for k := 0; k < 8 && i+k < n; k++ {
			b[i+k] = byte(z >> (8 * k))
		}
	}
	return b
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func num(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	must(err)
	return v
}

func prefix(v uint64, hash string) cid.Prefix {
	p, err := mdag.PrefixForCidVersion(int(v))
	must(err)
	if hash != "sha2-256" {
		p.MhType = mh.Names[hash]
		p.MhLength = -1
	}
	return p
}

var ctx = context.Background()

func initNode(ds ipld.DAGService, f []string) ipld.Node {
	switch f[0] {
	case "new":
		nd := mdag.NodeWithData(ft.FilePBData(nil, 0))
		must(nd.SetCidBuilder(prefix(num(f[1]), f[2])))
		must(ds.Add(ctx, nd))
		return nd
	case "add":
		p := prefix(num(f[2]), f[4])
		dbp := h.DagBuilderParams{Maxlinks: h.DefaultLinksPerBlock,
			RawLeaves: f[3] == "1", CidBuilder: p, Dagserv: ds}
		data := gen(num(f[6]), int(num(f[7])))
		db, err := dbp.New(chunker.NewSizeSplitter(strings.NewReader(string(data)), int64(num(f[5]))))
		must(err)
		var nd ipld.Node
		if f[1] == "trickle" {
			nd, err = trickle.Layout(db)
		} else {
			nd, err = balanced.Layout(db)
		}
		must(err)
		must(ds.Add(ctx, nd))
		// `ipfs files cp` flushes the new entry: a File descriptor is opened
		// and GetNode called, which may collapse a root with one raw leaf.
		out, err := open(ds, nd, -1).GetNode()
		must(err)
		return out
	}
	panic("bad init " + f[0])
}

// open does what mfs.File.Open does for a writer: RawLeaves from the node's
// CID version unless the command says otherwise.
func open(ds ipld.DAGService, nd ipld.Node, raw int) *mod.DagModifier {
	dm, err := mod.NewDagModifier(ctx, nd, ds, chunker.DefaultSplitter)
	must(err)
	dm.RawLeaves = nd.Cid().Prefix().Version > 0
	if raw >= 0 {
		dm.RawLeaves = raw == 1
	}
	return dm
}

func step(ds ipld.DAGService, nd ipld.Node, f []string) ipld.Node {
	var dm *mod.DagModifier
	switch f[0] {
	case "W":
		trunc, count, raw := false, int64(-1), -1
		for _, o := range f[4:] {
			switch {
			case o == "t":
				trunc = true
			case strings.HasPrefix(o, "c="):
				count = int64(num(o[2:]))
			case strings.HasPrefix(o, "r="):
				raw = int(num(o[2:]))
			}
		}
		dm = open(ds, nd, raw)
		if trunc {
			must(dm.Truncate(0))
		}
		_, err := dm.Seek(int64(num(f[1])), io.SeekStart)
		must(err)
		var r io.Reader = strings.NewReader(string(gen(num(f[2]), int(num(f[3])))))
		if count >= 0 {
			r = io.LimitReader(r, count)
		}
		// io.Copy through a plain Reader: 32 KiB writes, as from stdin.
		_, err = io.Copy(dm, struct{ io.Reader }{r})
		must(err)
	case "T":
		dm = open(ds, nd, -1)
		must(dm.Truncate(int64(num(f[1]))))
	default:
		panic("bad step " + f[0])
	}
	out, err := dm.GetNode()
	must(err)
	must(ds.Add(ctx, out))
	return out
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "gen" {
		os.Stdout.Write(gen(num(os.Args[2]), int(num(os.Args[3]))))
		return
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		parts := strings.Split(line, "|")
		ds := mdtest.Mock()
		nd := initNode(ds, strings.Fields(parts[0]))
		out := []string{nd.Cid().String()}
		for _, p := range parts[1:] {
			nd = step(ds, nd, strings.Fields(p))
			out = append(out, nd.Cid().String())
		}
		fmt.Println(strings.Join(out, " "))
	}
}
