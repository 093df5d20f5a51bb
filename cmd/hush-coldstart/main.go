// Command hush-coldstart measures the init time of Hush's Lambda functions under
// the AWS Lambda Runtime Interface Emulator (RIE): for each function it
// starts a fresh emulator with the function's bootstrap, invokes it once
// with a real API Gateway event, and reads the init duration the emulator
// logs. It repeats that -runs times and prints the minimum, median and
// maximum per function.
//
// scripts/coldstart.sh (make coldstart) installs the emulator, builds the
// bootstraps for this machine's architecture and runs this command.
//
// The figure is the emulator's "INIT REPORT(durationMs: ...)": from the
// moment it execs the bootstrap until the runtime asks for its first event,
// which is what Lambda bills as Init Duration. (This RIE's own REPORT line
// also prints an "Init Duration", but it times an asynchronous call and
// reads about 0.03 ms whatever the function does.)
//
// Nothing leaves the machine: the emulator listens on 127.0.0.1, the
// functions get dummy credentials, IMDS is disabled and DynamoDB is a
// closed loopback port, so a function that reads the table fails fast.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hush-scores/hush/internal/stats"
)

// events maps each function to the API Gateway event it is invoked with.
var events = map[string]string{
	"hello": "apigw-get-hello.json",
	"read":  "apigw-get-results.json",
	"write": "apigw-post-match.json",
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	rie := fs.String("rie", ".hush/bin/aws-lambda-rie", "the emulator binary")
	dir := fs.String("dir", ".hush/coldstart", "folder with <function>/bootstrap built for this machine")
	eventsDir := fs.String("events", "api/testdata", "folder of the API Gateway event fixtures")
	runs := fs.Int("runs", 5, "cold starts per function, 1 to 50")
	functions := fs.String("functions", "hello,read,write", "comma-separated functions")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *runs > 50 {
		return fmt.Errorf("-runs %d: want 1 to 50", *runs)
	}
	rieAbs, err := filepath.Abs(*rie)
	if err != nil {
		return err
	}
	if _, err := os.Stat(rieAbs); err != nil {
		return fmt.Errorf("the emulator: %w (scripts/coldstart.sh installs it)", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\truns\tinit min ms\tinit median ms\tinit max ms\tinvoke answer\t")
	for _, fn := range strings.Split(*functions, ",") {
		ev, ok := events[fn]
		if !ok {
			return fmt.Errorf("-functions: unknown function %q", fn)
		}
		event, err := os.ReadFile(filepath.Join(*eventsDir, ev))
		if err != nil {
			return fmt.Errorf("%s: event: %w", fn, err)
		}
		bootstrap, err := filepath.Abs(filepath.Join(*dir, fn, "bootstrap"))
		if err != nil {
			return err
		}
		var inits []float64
		var answer string
		for range *runs {
			ms, status, err := coldStart(ctx, rieAbs, bootstrap, fn, event)
			if err != nil {
				return fmt.Errorf("%s: %w", fn, err)
			}
			inits = append(inits, ms)
			answer = status
		}
		ps := stats.Percentiles(inits, 0, 50, 100) // minimum, median, maximum
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%s\t\n", fn, len(inits), ps[0], ps[1], ps[2], answer)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	return nil
}

// coldStart starts an emulator with bootstrap, invokes it once with event
// and returns the init duration it logged and the function's status code.
func coldStart(ctx context.Context, rie, bootstrap, fn string, event []byte) (float64, string, error) {
	ports, err := freePorts(3)
	if err != nil {
		return 0, "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	home, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return 0, "", err
	}
	defer os.RemoveAll(home)

	//nolint:gosec // G204: the emulator and bootstrap paths are this tool's own flags
	cmd := exec.CommandContext(ctx, rie,
		"--log-level", "info", // INIT REPORT is an info line
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + home, // no ~/.aws of the developer
		"AWS_LAMBDA_FUNCTION_NAME=hush-" + fn,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_REGION=eu-central-1",
		"AWS_DEFAULT_REGION=eu-central-1",
		"AWS_ACCESS_KEY_ID=coldstart",
		"AWS_SECRET_ACCESS_KEY=coldstart",
		"AWS_EC2_METADATA_DISABLED=true",
		// A closed loopback port: a table read fails at once, offline.
		"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:" + strconv.Itoa(ports[2]),
		"TABLE_NAME=hush-coldstart",
		// More regions than AWS_REGION, so read also builds its probes and
		// write its clients of every replica, as in a multi-region stack.
		"HUSH_REGIONS=eu-central-1,eu-west-1,us-east-1",
	}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, "", fmt.Errorf("start the emulator: %w", err)
	}
	defer func() {
		// The emulator and the bootstrap share the process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	if err := waitListening(ctx, addr, 10*time.Second); err != nil {
		return 0, "", fmt.Errorf("%w; its output:\n%s", err, out.String())
	}
	status, err := invoke(ctx, "http://"+addr+"/2015-03-31/functions/function/invocations", event)
	if err != nil {
		return 0, "", fmt.Errorf("%w; the emulator's output:\n%s", err, out.String())
	}
	// The report is logged as the init ends, before the invoke answers.
	m := initReport.FindStringSubmatch(out.String())
	if m == nil {
		return 0, "", fmt.Errorf("no INIT REPORT in the emulator's output:\n%s", out.String())
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, "", fmt.Errorf("INIT REPORT %q: %w", m[1], err)
	}
	return ms, status, nil
}

// invoke posts event and returns the statusCode of the function's answer.
func invoke(ctx context.Context, url string, event []byte) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("invoke: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("invoke: emulator status %d: %s", resp.StatusCode, b)
	}
	m := regexp.MustCompile(`"statusCode":\s*([0-9]+)`).FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("invoke: not an API Gateway response: %s", b)
	}
	return "statusCode " + string(m[1]), nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitListening(ctx context.Context, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the emulator did not listen on %s within %s", addr, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lockedBuffer is a buffer the emulator's two output pipes may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
