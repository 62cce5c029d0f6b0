package fleet

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream resources a fleet uses.
const (
	JobsStream    = "AUTOSNN_JOBS"    // work-queue stream of jobs
	JobsSubject   = "autosnn.jobs"    // jobs are published on JobsSubject.<kind>
	Consumer      = "autosnn-workers" // the durable pull consumer every worker shares
	ResultsBucket = "AUTOSNN_RESULTS" // key-value bucket: job hash -> result
	InputsStore   = "AUTOSNN_INPUTS"  // object store: SHA-256 -> input
)

// DefaultAckWait is how long a delivered job may go without an ack or an
// in-progress ack before JetStream redelivers it to another worker.
const DefaultAckWait = 30 * time.Second

// Security holds the connection's credentials and TLS files; each is a
// path, "" for none. They are passed to the NATS client and never logged.
type Security struct {
	Creds   string // NATS credentials file (JWT + NKey seed)
	TLSCA   string // PEM file of the CA that signed the server's certificate
	TLSCert string // PEM client certificate (with TLSKey: mutual TLS)
	TLSKey  string // PEM key of TLSCert
}

// Dial connects to the NATS server at serverURL with sec.
func Dial(serverURL string, sec Security, name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond)}
	if sec.Creds != "" {
		opts = append(opts, nats.UserCredentials(sec.Creds))
	}
	if sec.TLSCA != "" {
		opts = append(opts, nats.RootCAs(sec.TLSCA))
	}
	if (sec.TLSCert == "") != (sec.TLSKey == "") {
		return nil, fmt.Errorf("fleet: a TLS client certificate needs both the certificate and the key file")
	}
	if sec.TLSCert != "" {
		opts = append(opts, nats.ClientCert(sec.TLSCert, sec.TLSKey))
	}
	nc, err := nats.Connect(serverURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("fleet: connect to %s: %w", Redact(serverURL), err)
	}
	return nc, nil
}

// Redact returns u without the user information (user:password or a
// token) it may carry, for messages.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}

// Config sets up a fleet's JetStream resources.
type Config struct {
	// AckWait is the consumer's ack deadline (0: DefaultAckWait). It is
	// set by whoever creates the consumer first; later Opens keep it.
	AckWait time.Duration
	// Memory keeps the streams in memory instead of files (tests).
	Memory bool
}

// Fleet is a connection to a fleet's stream, consumer, bucket and store.
type Fleet struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	Stream   jetstream.Stream
	Consumer jetstream.Consumer
	Results  jetstream.KeyValue
	Inputs   jetstream.ObjectStore
	// AckWait is the consumer's ack deadline as configured on the server.
	AckWait time.Duration
}

// Open creates (or finds) the fleet's resources on nc.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Fleet, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("fleet: JetStream: %w", err)
	}
	storage := jetstream.FileStorage
	if cfg.Memory {
		storage = jetstream.MemoryStorage
	}
	f := &Fleet{NC: nc, JS: js}
	if f.Stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: JobsStream, Subjects: []string{JobsSubject + ".>"},
		Retention: jetstream.WorkQueuePolicy, Storage: storage, Duplicates: 2 * time.Minute}); err != nil {
		return nil, fmt.Errorf("fleet: stream %s: %w (is JetStream enabled on the server?)", JobsStream, err)
	}
	wait := cfg.AckWait
	if wait <= 0 {
		wait = DefaultAckWait
	}
	f.Consumer, err = f.Stream.Consumer(ctx, Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		f.Consumer, err = f.Stream.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: Consumer, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: wait, MaxDeliver: -1, MaxAckPending: 100000, MaxWaiting: 4096})
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: consumer %s: %w", Consumer, err)
	}
	f.AckWait = f.Consumer.CachedInfo().Config.AckWait
	if f.Results, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: ResultsBucket, Storage: storage}); err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", ResultsBucket, err)
	}
	if f.Inputs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: InputsStore, Storage: storage}); err != nil {
		return nil, fmt.Errorf("fleet: object store %s: %w", InputsStore, err)
	}
	return f, nil
}

// Workers estimates the number of workers: the consumer's pending pull
// requests (a worker keeps one while idle) plus its unacknowledged jobs (a
// worker holds one while busy). A worker killed mid-job counts until its
// job is redelivered.
func (f *Fleet) Workers(ctx context.Context) (int, error) {
	info, err := f.Consumer.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("fleet: consumer %s: %w", Consumer, err)
	}
	return info.NumWaiting + info.NumAckPending, nil
}
