package datalock

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestLock(t *testing.T) {
	dir := t.TempDir()
	if _, err := Running(dir); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Running before any stack = %v, want ErrNotRunning", err)
	}
	first, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	st := State{
		Stack: "dev", HomeRegion: "eu-central-1",
		Gateways:         map[string]string{"eu-central-1": "http://127.0.0.1:7460/dev"},
		DynamoDBEndpoint: "http://127.0.0.1:7470", CognitoEndpoint: "http://127.0.0.1:7471",
		UserPoolID: "local_1", UserPoolClientID: "c1",
	}
	if err := first.Record(st); err != nil {
		t.Fatalf("Record: %v", err)
	}

	_, err = Acquire(dir)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second Acquire = %v, want a *BusyError", err)
	}
	for _, want := range []string{dir, "PID " + strconv.Itoa(os.Getpid()), "127.0.0.1:7460", "DynamoDB Local http://127.0.0.1:7470", "cognito-local http://127.0.0.1:7471"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Acquire: %q does not name %q", err, want)
		}
	}
	got, err := Running(dir)
	if err != nil {
		t.Fatalf("Running: %v", err)
	}
	st.PID = os.Getpid()
	if got.PID != st.PID || got.UserPoolClientID != "c1" || got.Gateways["eu-central-1"] != st.Gateways["eu-central-1"] {
		t.Errorf("Running = %+v, want %+v", got, st)
	}

	first.Release()
	first.Release() // idempotent
	if _, err := Running(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Running after Release = %v, want ErrNotRunning", err)
	}
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}
