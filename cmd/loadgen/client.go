package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// The load client shares the machine's cores with the server it measures, so every
// microsecond it spends is one the server does not get. net/http's client costs about
// 130 µs of CPU a request on this project's 2-core machine (a read and a write goroutine
// per connection, a channel hand-off each way, the URL parsed again), a third of the
// dashboard's own per-notification cost at 8 senders; the issue's own outside measurement
// used a leaner client (its decode-only ceiling was twice ours). rawClient writes each
// request as bytes on a connection it keeps, from the sending goroutine itself, and reads
// the answer with net/http's parser: the same requests, a fraction of the client's CPU.
// -client nethttp keeps the old client, to compare.

// rawClient sends HTTP/1.1 requests on one kept-alive connection; one per sending goroutine.
type rawClient struct {
	addr, path string // addr is host:port, also sent as Host
	conn       net.Conn
	br         *bufio.Reader
	buf        []byte
}

func newRawClient(rawURL string) (*rawClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("-client raw speaks plain http only, not %q", u.Scheme)
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return &rawClient{addr: u.Host, path: path}, nil
}

// do sends one request and returns its status, reconnecting when the server closed the
// connection. query is appended to the path (with "?"), authorization sent as the header
// when not empty.
func (c *rawClient) do(method, query, authorization string, body []byte) (int, error) {
	b := c.buf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, c.path...)
	if query != "" {
		b = append(b, '?')
		b = append(b, query...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.addr...)
	b = append(b, "\r\nUser-Agent: loadgen\r\n"...)
	if authorization != "" {
		b = append(b, "Authorization: "...)
		b = append(b, authorization...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	c.buf = b
	for attempt := 0; ; attempt++ {
		status, retry, err := c.roundTrip(method, b)
		if err == nil || !retry || attempt > 0 {
			return status, err
		}
	}
}

// roundTrip writes req and reads the answer; retry is true when a kept connection turned out
// closed before anything was read (the server's idle timeout), which a new one fixes.
func (c *rawClient) roundTrip(method string, req []byte) (status int, retry bool, err error) {
	fresh := c.conn == nil
	if fresh {
		if c.conn, err = net.Dial("tcp", c.addr); err != nil {
			return 0, false, err
		}
		c.br = bufio.NewReaderSize(c.conn, 4096)
	}
	if _, err = c.conn.Write(req); err != nil {
		c.close()
		return 0, !fresh, err
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.close()
		return 0, !fresh, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	return resp.StatusCode, false, err
}

func (c *rawClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.br = nil, nil
	}
}
