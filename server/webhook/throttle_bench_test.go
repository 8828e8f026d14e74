package webhook

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"diundashboard/server/auth"
	"diundashboard/server/store/storetest"
)

// BenchmarkThrottledWrongToken is what a guesser past its allowance costs the server: one
// hash compare and a 429, no body read, no database.
func BenchmarkThrottledWrongToken(b *testing.B) {
	st := storetest.Open(b, "sqlite:"+b.TempDir()+"/dd.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := New(Options{Token: NewToken(st, SecretOf("right-token-0123456789abcdef"), true), Auth: auth.TokensOnly(st, log), Logger: log})
	req := httptest.NewRequest(http.MethodPost, "/webhook", nil)
	req.RemoteAddr = "203.0.113.7:4000"
	req.Header.Set("Authorization", "Bearer wrong-token-0123456789abcdef")
	for range auth.TokenFailureBurst {
		h.serve(httptest.NewRecorder(), req)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.serve(w, req)
		if w.Code != http.StatusTooManyRequests {
			b.Fatalf("%d, want 429", w.Code)
		}
	}
}
