package preview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Size limits of the deployed path, enforced so that what fails there fails here.
const (
	// MaxViewerBody: the edge signer reads the body through Lambda@Edge's includeBody, which truncates it past
	// 1 MB; the signer answers 413 rather than forward a truncated body.
	MaxViewerBody = 1 << 20
	// MaxPayload: Lambda's buffered invocation limit, for the event and for the response, in bytes of JSON.
	MaxPayload = 6 * 1024 * 1024
)

// serveFunction answers from the server function, as the function URL behind CloudFront would, and returns
// the origin to log ("edge" when the edge signer's limit refused the request before it reached the function).
//
// Status codes: 413 for a body over the mode's limit (MaxViewerBody with the edge signer, MaxPayload with OAC)
// or an event over MaxPayload (function URL); 403 with OAC for a body without its x-amz-content-sha256;
// 502 when the handler raises, fails to import, crashes the worker, returns more than MaxPayload or something
// that is not a function URL response; 504 when it runs past Options.Timeout (CloudFront's origin timeout).
func (s *Server) serveFunction(w http.ResponseWriter, r *http.Request, requestID string) string {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.bodyLimit()+1))
	if err != nil {
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return "edge"
	}
	if int64(len(body)) > s.bodyLimit() {
		return s.tooLarge(w, r)
	}
	if s.refusedUnsignedPayload(w, r, body) {
		return "server"
	}
	event, err := json.Marshal(newEvent(r, body, eventMeta{requestID: requestID, now: time.Now()}))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return "server"
	}
	if len(event) > MaxPayload {
		s.log.Printf("error: %s %s: the event is %d bytes, over Lambda's %d-byte invocation limit", r.Method, r.URL.Path, len(event), MaxPayload)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		fmt.Fprint(w, oacBodyTooLarge)
		return "server"
	}

	res, err := s.fn.invoke(r.Context(), requestID, event, s.timeout)
	if err != nil {
		s.functionFailed(w, r, err)
		return "server"
	}
	if len(res) > MaxPayload {
		s.log.Printf("error: %s %s: the handler returned %d bytes, over Lambda's %d-byte response limit (Function.ResponseSizeTooLarge)", r.Method, r.URL.Path, len(res), MaxPayload)
		badGateway(w)
		return "server"
	}
	resp, err := decodeResult(res)
	if err != nil {
		s.log.Printf("error: %s %s: %v", r.Method, r.URL.Path, err)
		badGateway(w)
		return "server"
	}
	resp.Header.Set("X-Amzn-Requestid", requestID)
	resp.write(w)
	return "server"
}

// functionFailed answers and logs an invocation that produced no response.
func (s *Server) functionFailed(w http.ResponseWriter, r *http.Request, err error) {
	var (
		crash  *crashError
		raised *lambdaError
		start  *initError
	)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return // the viewer left while the request was queued; nobody to answer
	case errors.Is(err, errTimeout):
		s.log.Printf("error: %s %s: the handler ran past %s; answered 504 and stopped the worker, the next request starts a new one", r.Method, r.URL.Path, s.timeout)
		http.Error(w, "Gateway Timeout", http.StatusGatewayTimeout)
		return
	case errors.As(err, &start):
		s.log.Printf("error: %s %s: %v", r.Method, r.URL.Path, err)
	case errors.As(err, &crash):
		s.log.Printf("error: %s %s: the server function crashed: %v; answered 502, the next request starts a new worker", r.Method, r.URL.Path, err)
	case errors.As(err, &raised):
		s.log.Printf("error: %s %s: the handler raised %v (traceback above)", r.Method, r.URL.Path, raised)
	default:
		s.log.Printf("error: %s %s: %v", r.Method, r.URL.Path, err)
	}
	badGateway(w)
}

// badGateway is the function URL's answer when the function fails.
func badGateway(w http.ResponseWriter) {
	http.Error(w, "Internal Server Error", http.StatusBadGateway)
}
