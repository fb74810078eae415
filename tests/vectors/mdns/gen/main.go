// main.go — the mDNS vectors of tests/test_dns.c (test_mdns), made with
// github.com/miekg/dns, the DNS library of zeroconf (what go-libp2p's mDNS
// runs on): the answer a zeroconf server gives to a browse, compressed, and
// the browse query.  Run: cd tests/vectors/mdns/gen && GOSUMDB=off go run .

package main

import (
	"fmt"
	"net"

	"github.com/miekg/dns"
)

func main() {
	m := new(dns.Msg)
	m.Response = true
	m.Authoritative = true
	m.Compress = true
	inst := "abcdefghijklmnopqrstuvwxyz012345._p2p._udp.local."
	host := "abcdefghijklmnopqrstuvwxyz012345.local."
	m.Answer = []dns.RR{&dns.PTR{Hdr: dns.RR_Header{Name: "_p2p._udp.local.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 3200}, Ptr: inst}}
	m.Extra = []dns.RR{
		&dns.SRV{Hdr: dns.RR_Header{Name: inst, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 3200}, Port: 4001, Target: host},
		&dns.TXT{Hdr: dns.RR_Header{Name: inst, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 3200}, Txt: []string{
			"dnsaddr=/ip4/10.88.0.2/tcp/4001/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8",
			"dnsaddr=/ip6/fe80::1/tcp/4001/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8"}},
		&dns.A{Hdr: dns.RR_Header{Name: host, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 120}, A: net.ParseIP("10.88.0.2")},
	}
	b, _ := m.Pack()
	for i, c := range b {
		if i%18 == 0 {
			fmt.Print("\n    \"")
		}
		fmt.Printf("\\x%02x", c)
		if i%18 == 17 || i == len(b)-1 {
			fmt.Print("\"")
		}
	}
	fmt.Println()
	q := new(dns.Msg)
	q.SetQuestion("_p2p._udp.local.", dns.TypePTR)
	q.Id = 0
	q.RecursionDesired = false
	b, _ = q.Pack()
	for _, c := range b {
		fmt.Printf("\\x%02x", c)
	}
	fmt.Println()
}
