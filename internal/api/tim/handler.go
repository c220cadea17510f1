// Package tim is the Tencent Cloud IM REST API v4 dialect: it decodes
// POST /v4/{service}/{command} requests, checks the admin UserSig, calls core
// and encodes the answer in Tencent's envelope. It translates; core decides.
// Every outcome is HTTP 200 with ActionStatus, ErrorCode and ErrorInfo.
package tim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/auth"
	"github.com/parleyim/parley/internal/core"
)

// Config tunes a Handler. The zero value is ready to use.
type Config struct {
	// MaxBodyBytes bounds a request body; a longer one is refused unread.
	// Zero means 1 MiB.
	MaxBodyBytes int64
	// SignatureCache is how many verified UserSigs are remembered. Zero
	// means the auth package's default.
	SignatureCache int
	// Now is the clock for signature expiry. Nil means time.Now.
	Now func() time.Time
	// Logger receives internal errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the Tencent v4 REST API for the apps core knows.
type Handler struct {
	svc     *core.Service
	sigs    *auth.Verifier
	maxBody int64
	now     func() time.Time
	log     *slog.Logger
	routes  map[string]*route
	// Panics counts requests that hit the recover at the boundary: a bug.
	Panics atomic.Int64
}

// family holds what every command of one service shares.
type family struct {
	notAdmin int       // identifier is not an app admin
	parse    int       // body is not a JSON object
	tooLarge int       // body over MaxBodyBytes
	invalid  int       // a member of the wrong type
	unknown  int       // unknown command in this service
	codes    codeTable // core refusals
}

var (
	openimFamily = family{notAdmin: 90009, parse: 90001, tooLarge: 93000, invalid: 20001, unknown: 60009, codes: openimCodes}
	loginFamily  = family{notAdmin: 70403, parse: 60003, tooLarge: 70402, invalid: 70402, unknown: 60009, codes: loginCodes}
	// groupFamily: group_open_http_svc and million_group_open_http_svc.
	// The group service's own codes: 10007 no permission, 10011 JSON parse
	// failed, 10004 invalid parameter, 10003 invalid command word.
	groupFamily = family{notAdmin: 10007, parse: 10011, tooLarge: 10004, invalid: 10004, unknown: 10003, codes: groupCodes}
)

// route is one command.
type route struct {
	family *family
	serve  func(ctx context.Context, c *call) (any, *wireError)
}

// call is one authenticated request.
type call struct {
	app        *core.App
	identifier string // the admin the request is made as
	body       []byte
	family     *family
}

// decode parses the body into v with the command's per-member codes.
func (c *call) decode(v any, fields fieldCodes) *wireError {
	return decode(c.body, v, decodeRules{parse: c.family.parse, invalid: c.family.invalid, fields: fields})
}

// refuse turns a core error into the command's wire error.
func (c *call) refuse(err error) *wireError { return coreError(c.family.codes, err) }

// New returns a Handler serving svc's apps.
func New(svc *core.Service, cfg Config) *Handler {
	h := &Handler{
		svc:     svc,
		sigs:    auth.NewVerifier(cfg.SignatureCache),
		maxBody: cfg.MaxBodyBytes,
		now:     cfg.Now,
		log:     cfg.Logger,
	}
	if h.maxBody <= 0 {
		h.maxBody = 1 << 20
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.routes = map[string]*route{}
	h.registerAccounts()
	h.registerC2C()
	h.registerC2CLifecycle()
	h.registerExtensions()
	h.registerRecentContact()
	h.registerGroups()
	return h
}

func (h *Handler) handle(path string, f *family, serve func(ctx context.Context, c *call) (any, *wireError)) {
	h.routes[path] = &route{family: f, serve: serve}
}

// families by service name, for unknown commands of a known service.
var serviceFamilies = map[string]*family{
	"openim":                      &openimFamily,
	"im_open_login_svc":           &loginFamily,
	"openim_msg_ext_http_svc":     &extFamily,
	"recentcontact":               &recentFamily,
	"group_open_http_svc":         &groupFamily,
	"million_group_open_http_svc": &groupFamily,
}

// ServeHTTP answers POST /v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var fam *family
	defer func() {
		if p := recover(); p != nil {
			h.Panics.Add(1)
			h.log.Error("panic serving tim request", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			code := 70500
			if fam != nil {
				code = fam.codes.code(errors.New("panic"))
			}
			writeJSON(w, envelope{ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: "internal error, please retry"})
		}
	}()
	command := strings.TrimPrefix(r.URL.Path, "/v4/")
	rt := h.routes[command]
	if rt == nil {
		code := 60009
		if f := serviceFamilies[strings.SplitN(command, "/", 2)[0]]; f != nil {
			code = f.unknown
		}
		writeJSON(w, failure(fail(code, "request resource error: unknown command "+strconv.Quote(command))))
		return
	}
	fam = rt.family
	resp, werr := h.serve(r, rt)
	if werr != nil {
		writeJSON(w, failure(werr))
		return
	}
	writeJSON(w, resp)
}

func (h *Handler) serve(r *http.Request, rt *route) (any, *wireError) {
	if r.Method != http.MethodPost {
		return nil, fail(60002, "HTTP method must be POST")
	}
	c, werr := h.authenticate(r, rt.family)
	if werr != nil {
		return nil, werr
	}
	if c.body, werr = h.readBody(r, rt.family); werr != nil {
		return nil, werr
	}
	return rt.serve(r.Context(), c)
}

// authenticate checks the query string and the admin UserSig.
func (h *Handler) authenticate(r *http.Request, f *family) (*call, *wireError) {
	q := r.URL.Query()
	rawApp := q.Get("sdkappid")
	if rawApp == "" {
		return nil, fail(60012, "sdkappid is missing")
	}
	appID, err := strconv.ParseUint(rawApp, 10, 64)
	if err != nil {
		return nil, fail(60006, "sdkappid is invalid")
	}
	app := h.svc.App(core.AppID(appID))
	if app == nil {
		return nil, fail(70020, "sdkappid not found")
	}
	if ct := q.Get("contenttype"); ct != "" && !strings.EqualFold(ct, "json") {
		return nil, fail(60002, "contenttype must be json")
	}
	identifier := q.Get("identifier")
	if identifier == "" {
		return nil, fail(60004, "identifier is missing")
	}
	sig := q.Get("usersig")
	claims, err := h.sigs.Verify(sig, appID, string(app.Key), identifier, h.now())
	if err != nil {
		return nil, signatureError(err)
	}
	if !h.svc.SignatureStillValid(app.ID, identifier, claims.Time) {
		return nil, fail(70001, "UserSig was invalidated by a kick, generate a new one")
	}
	if !app.IsAdmin(identifier) {
		return nil, fail(f.notAdmin, "identifier is not an app admin")
	}
	return &call{app: app, identifier: identifier, family: f}, nil
}

// signatureError maps a UserSig failure to its documented code.
func signatureError(err error) *wireError {
	switch {
	case errors.Is(err, auth.ErrEmpty):
		return fail(70002, "UserSig is empty")
	case errors.Is(err, auth.ErrExpired):
		return fail(70001, "UserSig expired, generate a new one")
	case errors.Is(err, auth.ErrBadSignature):
		return fail(70009, "UserSig verification failed: signed with another key")
	case errors.Is(err, auth.ErrUserMismatch):
		return fail(70013, "identifier does not match the UserSig")
	case errors.Is(err, auth.ErrAppMismatch):
		return fail(70014, "sdkappid does not match the UserSig")
	default:
		return fail(70003, "UserSig is invalid and cannot be parsed")
	}
}

// readBody reads at most maxBody bytes; a longer body is refused.
func (h *Handler) readBody(r *http.Request, f *family) ([]byte, *wireError) {
	if r.ContentLength > h.maxBody {
		return nil, fail(f.tooLarge, "request body is too large")
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, h.maxBody+1))
	if n > h.maxBody {
		return nil, fail(f.tooLarge, "request body is too large")
	}
	if err != nil {
		return nil, fail(f.parse, "cannot read request body")
	}
	return buf.Bytes(), nil
}

func failure(e *wireError) envelope {
	return envelope{ActionStatus: "FAIL", ErrorInfo: e.Info, ErrorCode: e.Code}
}

// writeJSON answers v. Raw values (message bodies) keep the string escapes
// their sender wrote: a body comes back byte for byte, whitespace aside.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v, jsontext.PreserveRawStrings(true))
	if err != nil {
		b = []byte(`{"ActionStatus":"FAIL","ErrorInfo":"internal error, please retry","ErrorCode":70500}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
