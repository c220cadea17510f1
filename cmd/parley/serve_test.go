package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/auth"
)

// These tests run the real binary: first run, restart, signals, kill -9
// durability and TLS under a vendor's host name.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func parleyBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parley-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "parley")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a running parley serve process.
type server struct {
	cmd    *exec.Cmd
	addr   string
	stdout *bytes.Buffer
	exited chan error
}

func startServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(parleyBinary(t), append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Dir = dir
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, stdout: &stdout, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server on %s not healthy: %v\n%s", addr, err, stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	s.cmd.Process.Signal(sig)
	select {
	case err := <-s.exited:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not exit after %v", sig)
	}
	return nil
}

type envelope struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	MsgKey       string
	MsgList      []json.RawMessage
	Complete     int
}

func post(t *testing.T, client *http.Client, url, body string) envelope {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	var e envelope
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return e
}

func adminQuery(t *testing.T, app uint64, key string) string {
	t.Helper()
	sig, err := auth.GenUserSig(app, key, "administrator", 3600, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("sdkappid=%d&identifier=administrator&usersig=%s&random=1&contenttype=json", app, sig)
}

func TestFirstRunBannerRestartAndSIGTERM(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	banner := s.stdout.String()
	m := regexp.MustCompile(`SDKAppID: (\d+)\s+admin:\s+(\S+)\s+key:\s+([0-9a-f]{64})`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("banner lacks SDKAppID/admin/key:\n%s", banner)
	}
	curl := regexp.MustCompile(`curl -s -X POST '([^']+)' -d '([^']+)'`).FindStringSubmatch(banner)
	if curl == nil {
		t.Fatalf("banner lacks a curl command:\n%s", banner)
	}
	if r := post(t, http.DefaultClient, curl[1], curl[2]); r.ErrorCode != 0 {
		t.Fatalf("the banner's curl: ErrorCode %d (%s)", r.ErrorCode, r.ErrorInfo)
	}
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want 0", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "parley-data", "app.json")); err != nil {
		t.Fatalf("first-run app not kept: %v", err)
	}
	s2 := startServer(t, dir)
	if !strings.Contains(s2.stdout.String(), "SDKAppID: "+m[1]) {
		t.Errorf("restart did not reuse SDKAppID %s:\n%s", m[1], s2.stdout.String())
	}
	if strings.Contains(s2.stdout.String(), m[3]) {
		t.Errorf("restart printed the key again")
	}
	var app uint64
	fmt.Sscan(m[1], &app)
	q := adminQuery(t, app, m[3])
	r := post(t, http.DefaultClient, "http://"+s2.addr+"/v4/im_open_login_svc/account_check?"+q, `{"CheckItem":[{"UserID":"alice"}]}`)
	if r.ErrorCode != 0 {
		t.Fatalf("account_check after restart: %d %s", r.ErrorCode, r.ErrorInfo)
	}
	if err := s2.stop(t, os.Interrupt); err != nil {
		t.Errorf("exit after SIGINT: %v, want 0", err)
	}
}

// TestKill9KeepsAnsweredSends kills the server without warning while
// clients send, restarts it on the same file and finds every message that
// was answered OK.
func TestKill9KeepsAnsweredSends(t *testing.T) {
	dir := t.TempDir()
	const app, key = 1400000009, "kill9-secret"
	args := []string{"--store", "sqlite:" + filepath.Join(dir, "p.db"), "--app", fmt.Sprint(app), "--key", key}
	s := startServer(t, dir, args...)
	q := adminQuery(t, app, key)
	base := "http://" + s.addr + "/v4/"
	if r := post(t, http.DefaultClient, base+"im_open_login_svc/multiaccount_import?"+q, `{"Accounts":["a","b"]}`); r.ErrorCode != 0 {
		t.Fatalf("import: %d", r.ErrorCode)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"From_Account":"a","To_Account":"b","MsgSeq":%d,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"m"}}]}`, i, w)
				resp, err := client.Post(base+"openim/sendmsg?"+q, "application/json", strings.NewReader(body))
				if err != nil {
					return // the server died
				}
				var e envelope
				err = json.NewDecoder(resp.Body).Decode(&e)
				resp.Body.Close()
				if err == nil && e.ErrorCode == 0 {
					mu.Lock()
					acked[e.MsgKey] = true
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	close(stop)
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d sends answered before the kill", len(acked))
	}
	s2 := startServer(t, dir, args...)
	found := map[string]bool{}
	last := ""
	for range 10000 {
		body := fmt.Sprintf(`{"Operator_Account":"b","Peer_Account":"a","MaxCnt":100,"MinTime":0,"MaxTime":%d,"LastMsgKey":%q}`, time.Now().Unix()+10, last)
		r := post(t, http.DefaultClient, "http://"+s2.addr+"/v4/openim/admin_getroammsg?"+q, body)
		if r.ErrorCode != 0 {
			t.Fatalf("getroammsg: %d %s", r.ErrorCode, r.ErrorInfo)
		}
		for _, raw := range r.MsgList {
			var m struct{ MsgKey string }
			json.Unmarshal(raw, &m)
			found[m.MsgKey] = true
		}
		if r.Complete == 1 || len(r.MsgList) == 0 {
			break
		}
		var oldest struct{ MsgKey string }
		json.Unmarshal(r.MsgList[0], &oldest)
		last = oldest.MsgKey
	}
	missing := 0
	for k := range acked {
		if !found[k] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d answered messages lost by kill -9", missing, len(acked))
	}
	t.Logf("%d answered sends before kill -9, all %d found after restart", len(acked), len(acked)-missing)
}

// TestTLSUnderVendorHostName serves HTTPS with a certificate for Tencent's
// REST host and reaches it by that name (as a DNS entry pointing the host at
// Parley would), the way SDKs that hard-code https:// and the host do.
func TestTLSUnderVendorHostName(t *testing.T) {
	dir := t.TempDir()
	const host = "console.tim.qq.com"
	certFile, keyFile, pool := selfSigned(t, dir, host, "adminapisgp.im.qcloud.com")
	const app, key = 1400000010, "tls-secret"
	s := startServerTLS(t, dir, certFile, keyFile, "--app", fmt.Sprint(app), "--key", key)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, s.addr) // the "DNS entry"
		},
	}}
	url := "https://" + host + "/v4/im_open_login_svc/account_import?" + adminQuery(t, app, key)
	if r := post(t, client, url, `{"UserID":"tls-user"}`); r.ErrorCode != 0 {
		t.Fatalf("account_import over TLS: %d %s", r.ErrorCode, r.ErrorInfo)
	}
	if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP served on the TLS listener")
		}
	}
}

func startServerTLS(t *testing.T, dir, cert, key string, args ...string) *server {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(parleyBinary(t), append([]string{"serve", "--listen", addr, "--store", "memory", "--tls-cert", cert, "--tls-key", key}, args...)...)
	cmd.Dir = dir
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, addr: addr, stdout: &stdout, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := insecure.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("TLS server not healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func selfSigned(t *testing.T, dir string, hosts ...string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: hosts[0]},
		DNSNames:     hosts,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, _ := x509.MarshalECPrivateKey(priv)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile, pool
}

// TestDebugListenServesProfiler checks that --debug-listen serves Go's
// profiler on its own address and that the API's address does not.
func TestDebugListenServesProfiler(t *testing.T) {
	debug := freePort(t)
	s := startServer(t, t.TempDir(), "--debug-listen", debug)
	res, err := http.Get("http://" + debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("debug listener: %s\n%.200s", res.Status, body)
	}
	res, err = http.Get("http://" + s.addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Errorf("the API listener serves /debug/pprof/")
	}
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v, want 0", err)
	}
}
