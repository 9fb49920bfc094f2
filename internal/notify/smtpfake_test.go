package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The SMTP tests talk to a real SMTP server (go-smtp) on loopback: TLS,
// AUTH and the mail as it arrives are the real thing.

// testTLS is a self-signed certificate for 127.0.0.1 and the client
// config that trusts it.
type testTLS struct {
	server *tls.Config
	client *tls.Config
}

func newTestTLS(t *testing.T) testTLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "chatbox test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return testTLS{
		server: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		client: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
}

// received is one mail as the server got it.
type received struct {
	From string
	To   []string
	Data []byte
	User string // the authenticated user
	TLS  bool
}

// smtpFake is an SMTP server that keeps what it receives.
type smtpFake struct {
	t        *testing.T
	user     string // "" accepts mail without AUTH
	pass     string
	implicit bool // TLS from the first byte instead of STARTTLS
	tls      testTLS
	// rejectRcpt, if set, refuses a recipient with this reply.
	rejectRcpt *smtp.SMTPError

	mu    sync.Mutex
	mails []received
	auths int // AUTH attempts
	srv   *smtp.Server
	addr  string
}

// start serves on addr ("127.0.0.1:0" for any port).
func (f *smtpFake) start(addr string) {
	f.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		f.t.Fatalf("smtp listen: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &smtpSession{f: f, tls: isTLS}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	// Its log could outlive the test (a connection closing late).
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLSConfig = f.tls.server
	if f.implicit {
		ln = tls.NewListener(ln, f.tls.server)
	}
	f.mu.Lock()
	f.srv, f.addr = srv, ln.Addr().String()
	f.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	f.t.Cleanup(f.stop)
}

// stop closes the server and its connections.
func (f *smtpFake) stop() {
	f.mu.Lock()
	srv := f.srv
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

func (f *smtpFake) port() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, p, _ := net.SplitHostPort(f.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Mails returns what arrived so far.
func (f *smtpFake) Mails() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.mails...)
}

func (f *smtpFake) Auths() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths
}

type smtpSession struct {
	f    *smtpFake
	tls  bool
	user string
	cur  received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.f.mu.Lock()
		s.f.auths++
		s.f.mu.Unlock()
		if user != s.f.user || pass != s.f.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.f.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{From: from, User: s.user, TLS: s.tls}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.f.rejectRcpt != nil {
		return s.f.rejectRcpt
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = data
	s.f.mu.Lock()
	s.f.mails = append(s.f.mails, s.cur)
	s.f.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = received{} }
func (s *smtpSession) Logout() error { return nil }

// freePort returns a loopback port nothing listens on (a server started
// on it later plays "the mail server comes back").
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
