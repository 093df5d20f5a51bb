package dynamolocal

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/internal/loopguard"
	"github.com/hush-scores/hush/internal/testtier"
)

func TestParseJavaMajor(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want int
		ok   bool
	}{
		{"openjdk 17", `openjdk version "17.0.15" 2025-04-15`, 17, true},
		{"java 21", `java version "21" 2023-09-19 LTS`, 21, true},
		{"java 8", `java version "1.8.0_392"`, 8, true},
		{"java 11", `openjdk version "11.0.2" 2019-01-15`, 11, true},
		{"garbage", `command not found`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseJavaMajor(tt.out)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseJavaMajor(%q) = %d, %v; want %d, %v", tt.out, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestStartWithoutJava(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JAVA_HOME", "")
	_, err := Start(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), MsgNeedJava) {
		t.Fatalf("Start without java: got %v, want an error containing %q", err, MsgNeedJava)
	}
}

func TestStartWithoutJar(t *testing.T) {
	// Start looks for Java before the jar.
	testtier.Needs(t, testtier.Java)
	_, err := Start(context.Background(), Options{ModuleRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), MsgNeedJar) {
		t.Fatalf("Start without the jar: got %v, want an error containing %q", err, MsgNeedJar)
	}
}

func TestStartOnBusyPort(t *testing.T) {
	testtier.Needs(t, testtier.DynamoDBLocal)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Options{Port: port})
	var busy *PortBusyError
	if !errors.As(err, &busy) || busy.Port != port {
		t.Fatalf("Start on busy port %d: got %v, want a PortBusyError naming it", port, err)
	}
	if !strings.Contains(err.Error(), "port "+itoa(port)) {
		t.Errorf("error %q does not name port %d", err, port)
	}
}

// TestStartStopPersist starts an instance on disk, creates a table, stops it
// and starts it again: the table is still there, Stop is idempotent and Done
// tells a supervisor that the process ended.
func TestStartStopPersist(t *testing.T) {
	testtier.Needs(t, testtier.DynamoDBLocal)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")

	first, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() { _ = first.Stop() }()
	if !strings.HasPrefix(first.Endpoint(), "http://127.0.0.1:") || first.PID() <= 0 {
		t.Errorf("Endpoint() = %q, PID() = %d", first.Endpoint(), first.PID())
	}
	client := mustClient(t, first)
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("kept"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-first.Done():
	default:
		t.Fatal("Done is not closed after Stop")
	}
	if err := syscallAlive(first.PID()); err == nil {
		t.Errorf("process %d still alive after Stop", first.PID())
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) == 0 {
		t.Fatalf("data dir %s is empty (%v); want the database file", dir, err)
	}

	second, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	defer func() { _ = second.Stop() }()
	// Another region and another key see the same tables: -sharedDb.
	other, err := dynamoclient.ForEndpoint(second.Endpoint(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := other.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	if got, want := out.TableNames, []string{"kept"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("tables after restart = %v, want %v", got, want)
	}

	// A crash is visible to a supervisor through Done and Err.
	if err := syscall.Kill(second.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed 10 s after the process was killed")
	}
	if second.Err() == nil {
		t.Error("Err() = nil after a crash, want the exit status")
	}
	if err := second.Stop(); err != nil {
		t.Errorf("Stop after a crash: %v", err)
	}
}

func mustClient(t *testing.T, inst *Instance) *dynamodb.Client {
	t.Helper()
	c, err := dynamoclient.ForEndpoint(inst.Endpoint(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLaunchOnTakenPort skips the pre-check to model a picked port that
// another server took before Java bound it: Start must not mistake the
// other server for DynamoDB Local.
func TestLaunchOnTakenPort(t *testing.T) {
	testtier.Needs(t, testtier.DynamoDBLocal)
	ctx := context.Background()
	java, err := findJava(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := child.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	jar, err := FindJar(root)
	if err != nil {
		t.Fatal(err)
	}
	launcher, err := loopbackLauncher(ctx, java, jar, filepath.Join(root, ".hush", "cache"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	inst, err := launch(ctx, java, jar, launcher, port, Options{})
	if err == nil {
		_ = inst.Stop()
		t.Fatalf("launch on taken port %d succeeded; want a PortBusyError", port)
	}
	var busy *PortBusyError
	if !errors.As(err, &busy) || busy.Port != port {
		t.Fatalf("launch on taken port %d: %v; want a PortBusyError naming it", port, err)
	}
}

// TestExposure checks what a browser and another machine can reach. No web
// page may call DynamoDB Local: a browser's preflight gets no
// Access-Control-Allow-Origin, so the browser stops there. The launcher
// binds it to 127.0.0.1, so this machine's other addresses cannot connect,
// and without a JDK's javac to build the launcher it does not start.
func TestExposure(t *testing.T) {
	testtier.Needs(t, testtier.DynamoDBLocal)
	addrs, err := loopguard.ExternalAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) == 0 {
		t.Fatal("this machine has no non-loopback address to dial; the test needs a network interface with one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() { _ = inst.Stop() }()
	checkNoBrowser(ctx, t, inst)
	for _, port := range []int{inst.Port(), inst.javaPort} {
		addr := net.JoinHostPort(addrs[0], strconv.Itoa(port))
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
			t.Errorf("%s accepted a connection; want DynamoDB Local on loopback only", addr)
		}
	}
	// It still answers on loopback.
	if _, err := mustClient(t, inst).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("ListTables on 127.0.0.1: %v", err)
	}

	saved := findJavac
	findJavac = func(string) string { return "" }
	t.Cleanup(func() { findJavac = saved })
	if inst, err := Start(ctx, Options{}); err == nil {
		_ = inst.Stop()
		t.Errorf("Start without javac succeeded; want it refused: DynamoDB Local would listen on every interface")
	} else if !strings.Contains(err.Error(), "openjdk-17-jdk-headless") {
		t.Errorf("Start without javac: %v; want it to name what to install", err)
	}
}

// checkNoBrowser sends browsers' preflights: none may be answered with
// Access-Control-Allow-Origin.
func checkNoBrowser(ctx context.Context, t *testing.T, inst *Instance) {
	t.Helper()
	for _, origin := range []string{"https://evil.example", "null", "http://127.0.0.1:" + strconv.Itoa(inst.Port())} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, inst.Endpoint()+"/", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,authorization")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("preflight from %s: %v", origin, err)
		}
		res.Body.Close()
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q, want none (a browser could call it)", origin, got)
		}
	}
}
