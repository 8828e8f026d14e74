// Package fakepg is a PostgreSQL server that refuses every password, for tests of what a client
// shows when a server turns it away. The local test server trusts every connection, so it can
// never answer "password authentication failed"; this one answers nothing else.
package fakepg

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Server listens on 127.0.0.1 until the test ends.
type Server struct {
	// Addr is host:port, ready to put into a postgres:// URL.
	Addr string
	// echo makes each refusal quote the password the client sent.
	echo bool

	ln        net.Listener
	wg        sync.WaitGroup
	mu        sync.Mutex
	passwords []string
}

// RefusePasswords starts a server that asks every client for its password in clear text and
// refuses it with SQLSTATE 28P01, as PostgreSQL does for a wrong password. With echo, the
// refusal repeats the password it was sent, as a buggy or hostile server (or pooler) could: a
// client that shows server messages must still hide it.
func RefusePasswords(t testing.TB, echo bool) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fakepg: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), echo: echo, ln: ln}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

// Passwords returns every password a client sent, so a test can tell that its client really
// reached the authentication step rather than failing earlier.
func (s *Server) Passwords() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.passwords...)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			_ = s.serve(conn)
		}()
	}
}

func (s *Server) serve(conn net.Conn) error {
	be := pgproto3.NewBackend(conn, conn)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			// 'N': no encryption here; the client goes on in clear text or gives up.
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return err
			}
		case *pgproto3.StartupMessage:
			return s.refuse(be, m.Parameters["user"])
		default:
			return fmt.Errorf("fakepg: unexpected %T", msg)
		}
	}
}

func (s *Server) refuse(be *pgproto3.Backend, user string) error {
	be.Send(&pgproto3.AuthenticationCleartextPassword{})
	if err := be.Flush(); err != nil {
		return err
	}
	if err := be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return err
	}
	msg, err := be.Receive()
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return errors.New("fakepg: the client did not send a password")
	}
	s.mu.Lock()
	s.passwords = append(s.passwords, pm.Password)
	s.mu.Unlock()
	text := fmt.Sprintf("password authentication failed for user %q", user)
	detail := ""
	if s.echo {
		text += fmt.Sprintf(" (password %s)", pm.Password)
		detail = fmt.Sprintf("Connection matched pg_hba.conf line 1: \"host all all 127.0.0.1/32 password\" password=%s", pm.Password)
	}
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: "28P01", Message: text, Detail: detail})
	return be.Flush()
}
