module trove/tests/vectors/ws/gen

go 1.26.0

require (
	github.com/gorilla/websocket v1.5.1
	golang.org/x/net v0.24.0
)
