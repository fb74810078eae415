// Package gen writes trove's WebSocket cross-check vectors
// (tests/vectors/ws/frames.txt) from gorilla/websocket v1.5.1, the library
// go-libp2p's websocket transport is built on:
//
//   - Frames: a gorilla client and a gorilla server talk over loopback TCP,
//     and every byte each of them writes is recorded.  The client's frames
//     are masked (new key per frame) and its messages over 4096 bytes are
//     fragmented; the server's are unmasked, one frame per WriteMessage.
//     Pings, pongs and a close are sent between and inside messages.  Each
//     vector is the bytes written for one message (with its control frames)
//     and what a reader must get out of them.
//   - Handshakes: gorilla's request and gorilla's 101 answer to it; and the
//     exact request trove's net_ws_request writes (host "example.test:4001",
//     key bytes 0..15), sent raw to gorilla's server, with its answer.
//
// It is a test only because testing/cryptotest.SetGlobalRandom is, and that
// fixes gorilla's handshake key and mask keys (drawn from crypto/rand): the
// output is deterministic, so running it again changes no file.
// Run: bash tests/vectors/ws/gen.sh
package gen

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/gorilla/websocket"
)

// pattern is the payload of a generated message: both this and
// test_ws.c's pattern() compute it, so the file need not hold it twice.
func pattern(n int, seed uint32) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((uint32(i)*2654435761 + seed*40503) >> 11)
	}
	return b
}

// recorder is a net.Conn that keeps a copy of what is written to it.
type recorder struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.buf.Write(p)
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recorder) take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := append([]byte(nil), r.buf.Bytes()...)
	r.buf.Reset()
	return b
}

type listener struct {
	net.Listener
	conns chan *recorder
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	r := &recorder{Conn: c}
	l.conns <- r
	return r, nil
}

// drain reads messages until the connection fails or closes, so the
// writer never blocks; its pings and closes are left unanswered, so only
// the writer's own frames are recorded.
func drain(c *websocket.Conn, done chan<- struct{}) {
	c.SetPingHandler(func(string) error { return nil })
	c.SetCloseHandler(func(int, string) error { return nil })
	for {
		_, r, err := c.NextReader()
		if err != nil {
			break
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			break
		}
	}
	close(done)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func headEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		panic("no head")
	}
	return i + 4
}

type out struct {
	f *os.File
}

func (o out) p(format string, a ...any) { fmt.Fprintf(o.f, format, a...) }

func TestGenerate(t *testing.T) {
	dir := os.Getenv("WS_VECTORS")
	if dir == "" {
		t.Skip("WS_VECTORS (the output directory) is not set: run gen.sh")
	}
	cryptotest.SetGlobalRandom(t, 20261202)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	l := &listener{Listener: ln, conns: make(chan *recorder, 4)}
	srvConns := make(chan *websocket.Conn, 4)
	up := websocket.Upgrader{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				t.Error(err)
				return
			}
			srvConns <- c
		}))
	srv.Listener = l
	srv.Start()
	defer srv.Close()

	var crec *recorder
	d := websocket.Dialer{
		NetDial: func(string, string) (net.Conn, error) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				return nil, err
			}
			crec = &recorder{Conn: c}
			return crec, nil
		},
	}
	// The Host is made up so that the request does not depend on the port.
	cc, _, err := d.Dial("ws://example.test:4001/", nil)
	must(t, err)
	srec := <-l.conns
	sc := <-srvConns

	f, err := os.Create(filepath.Join(dir, "frames.txt"))
	must(t, err)
	defer f.Close()
	o := out{f}
	o.p("# frames.txt — WebSocket frames and handshakes written by gorilla/websocket\n")
	o.p("# v1.5.1 (made by tests/vectors/ws/gen; do not edit).  Frame vectors:\n")
	o.p("#   from = client|server   who wrote the frames (a client masks)\n")
	o.p("#   wire = hex             the bytes written\n")
	o.p("#   data = hex:H | gen:N:S the data payloads, concatenated (gen: N bytes\n")
	o.p("#                          of pattern(N, S), see gen_test.go)\n")
	o.p("#   ping = hex | -         the last ping's payload, or no ping\n")
	o.p("#   close = 0|1            whether the wire ends with a close frame\n")
	o.p("# Handshake vectors: req/resp = hex (a request, gorilla's answer),\n")
	o.p("# key = hex (the request's 16 key bytes).\n\n")

	creq := crec.take()
	sresp := srec.take()
	if headEnd(creq) != len(creq) || headEnd(sresp) != len(sresp) {
		t.Fatal("frames came with the handshake")
	}
	gk := string(creq)
	i := strings.Index(gk, "Sec-WebSocket-Key: ")
	gk = gk[i+19 : i+19+24]
	key, err := base64.StdEncoding.DecodeString(gk)
	must(t, err)
	o.p("# gorilla's client and gorilla's server\n")
	o.p("req = %x\nresp = %x\nkey = %x\n\n", creq, sresp, key)

	cdone, sdone := make(chan struct{}), make(chan struct{})
	go drain(sc, sdone)
	go drain(cc, cdone)

	// Each vector: what one side writes for one message.
	type op func(c *websocket.Conn) error
	deadline := time.Now().Add(time.Minute)
	ping := func(p []byte) op {
		return func(c *websocket.Conn) error {
			return c.WriteControl(websocket.PingMessage, p, deadline)
		}
	}
	pong := func(p []byte) op {
		return func(c *websocket.Conn) error {
			return c.WriteControl(websocket.PongMessage, p, deadline)
		}
	}
	msg := func(typ int, p []byte) op {
		return func(c *websocket.Conn) error { return c.WriteMessage(typ, p) }
	}
	// A message written in pieces through NextWriter, with control frames
	// between the pieces: those land between its fragments once the
	// 4096-byte write buffer has been flushed.
	pieces := func(p []byte, cuts []int, between ...op) op {
		return func(c *websocket.Conn) error {
			w, err := c.NextWriter(websocket.BinaryMessage)
			if err != nil {
				return err
			}
			prev := 0
			for k, cut := range append(cuts, len(p)) {
				if _, err := w.Write(p[prev:cut]); err != nil {
					return err
				}
				prev = cut
				if k < len(between) {
					if err := between[k](c); err != nil {
						return err
					}
				}
			}
			return w.Close()
		}
	}

	type vec struct {
		comment string
		ops     []op
		data    string
		ping    []byte
		close   bool
	}
	var vecs []vec
	seed := uint32(1)
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 100000} {
		vecs = append(vecs, vec{
			comment: fmt.Sprintf("a %d-byte binary message", n),
			ops:     []op{msg(websocket.BinaryMessage, pattern(n, seed))},
			data:    fmt.Sprintf("gen:%d:%d", n, seed),
		})
		seed++
	}
	hello := []byte("Hello, trove")
	p125 := pattern(125, 99)
	vecs = append(vecs,
		vec{comment: "a text message, a ping before it and a pong after",
			ops: []op{ping([]byte("are you there")),
				msg(websocket.TextMessage, hello), pong([]byte("yes"))},
			data: "hex:" + hex.EncodeToString(hello),
			ping: []byte("are you there")},
		vec{comment: "an empty ping, then a 3-byte message",
			ops:  []op{ping(nil), msg(websocket.BinaryMessage, []byte{1, 2, 3})},
			data: "hex:010203", ping: []byte{}},
		vec{comment: "10000 bytes in pieces, pings (125 bytes, then 1) between fragments",
			ops: []op{pieces(pattern(10000, 7), []int{5000, 9000},
				ping(p125), ping([]byte{0x42}))},
			data: "gen:10000:7", ping: []byte{0x42}},
		vec{comment: "9000 bytes in pieces, a pong and a ping between fragments",
			ops: []op{pieces(pattern(9000, 8), []int{4500},
				func(c *websocket.Conn) error {
					if err := pong([]byte("p"))(c); err != nil {
						return err
					}
					return ping(p125)(c)
				})},
			data: "gen:9000:8", ping: p125},
	)

	for _, side := range []struct {
		name string
		c    *websocket.Conn
		rec  *recorder
	}{{"client", cc, crec}, {"server", sc, srec}} {
		for _, v := range vecs {
			for _, f := range v.ops {
				must(t, f(side.c))
			}
			o.p("# %s, from the %s\n", v.comment, side.name)
			o.p("from = %s\nwire = %x\ndata = %s\n", side.name, side.rec.take(), v.data)
			if v.ping == nil {
				o.p("ping = -\n")
			} else {
				o.p("ping = %x\n", v.ping)
			}
			o.p("close = 0\n\n")
		}
		must(t, side.c.WriteMessage(websocket.BinaryMessage, []byte("last")))
		must(t, side.c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), deadline))
		o.p("# a message, then a close, from the %s\n", side.name)
		o.p("from = %s\nwire = %x\ndata = hex:%x\nping = -\nclose = 1\n\n",
			side.name, side.rec.take(), "last")
	}
	<-cdone
	<-sdone
	cc.Close()
	sc.Close()

	// trove's request, byte for byte what net_ws_request writes.
	tkey := make([]byte, 16)
	for i := range tkey {
		tkey[i] = byte(i)
	}
	treq := "GET / HTTP/1.1\r\nHost: example.test:4001\r\nUpgrade: websocket\r\n" +
		"Connection: Upgrade\r\nSec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(tkey) +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	raw, err := net.Dial("tcp", ln.Addr().String())
	must(t, err)
	<-l.conns
	_, err = raw.Write([]byte(treq))
	must(t, err)
	br := bufio.NewReader(raw)
	var tresp []byte
	for !bytes.HasSuffix(tresp, []byte("\r\n\r\n")) {
		b, err := br.ReadByte()
		must(t, err)
		tresp = append(tresp, b)
	}
	if !bytes.HasPrefix(tresp, []byte("HTTP/1.1 101 ")) {
		t.Fatalf("gorilla refused trove's request: %q", tresp)
	}
	(<-srvConns).Close()
	raw.Close()
	o.p("# trove's request (net_ws_request, host example.test:4001, key 00..0f)\n")
	o.p("# and gorilla's server's answer\n")
	o.p("req = %x\nresp = %x\nkey = %x\n", treq, tresp, tkey)
}
