package tim

import (
	"errors"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// envelope is the part of every answer that says how it went.
type envelope struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorInfo    string `json:"ErrorInfo"`
	ErrorCode    int    `json:"ErrorCode"`
}

// okEnvelope is the envelope of a success.
var okEnvelope = envelope{ActionStatus: "OK"}

// wireError is a refusal in the dialect's terms: an ErrorCode and its text.
type wireError struct {
	Code int
	Info string
}

func (e *wireError) Error() string { return e.Info }

func fail(code int, info string) *wireError { return &wireError{Code: code, Info: info} }

// maxDepth bounds the nesting of a request body. Real requests nest four or
// five levels; anything deep is hostile.
const maxDepth = 32

// tooDeep reports whether body nests arrays and objects deeper than maxDepth.
// It only counts brackets outside strings; the decoder checks the rest.
func tooDeep(body []byte) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > maxDepth {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

// fieldCodes maps a top-level member name to the code answered when that
// member has the wrong JSON type or is missing.
type fieldCodes map[string]int

// decodeRules say which codes a command's decoding errors get.
type decodeRules struct {
	parse   int        // not JSON, invalid UTF-8, duplicate member, not an object, too deep
	invalid int        // a member of the wrong type that fields does not list
	fields  fieldCodes // per-member codes
}

// decode parses body, a JSON object, into v (a pointer to a struct of the
// command's members). Matching is case-sensitive, duplicate members and
// invalid UTF-8 are refused, unknown members are ignored.
func decode(body []byte, v any, r decodeRules) *wireError {
	if tooDeep(body) {
		return fail(r.parse, parseInfo)
	}
	if firstNonSpace(body) != '{' {
		return fail(r.parse, parseInfo)
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" {
		for name := range se.JSONPointer.Tokens() {
			if code, ok := r.fields[name]; ok {
				return fail(code, "invalid "+name)
			}
			return fail(r.invalid, "invalid "+name)
		}
	}
	return fail(r.parse, parseInfo)
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// parseInfo is Tencent's text for a body that is not valid JSON.
const parseInfo = "Fail to Parse json data of body, Please check it"

// isNull reports whether a raw member is absent or JSON null.
func isNull(v jsontext.Value) bool { return len(v) == 0 || v.Kind() == 'n' }
