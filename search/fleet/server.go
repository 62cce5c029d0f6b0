package fleet

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// StartServer starts an embedded nats-server with JetStream storing under
// dir, listening on host:port (port -1: a free port). The caller shuts it
// down (Server.Shutdown, then WaitForShutdown).
func StartServer(dir, host string, port int) (*server.Server, error) {
	s, err := server.NewServer(&server.Options{Host: host, Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		return nil, fmt.Errorf("fleet: nats-server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("fleet: nats-server on %s:%d not ready after 10 s", host, port)
	}
	return s, nil
}
