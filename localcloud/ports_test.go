package localcloud

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestPorts(t *testing.T) {
	tests := []struct {
		name string
		got  func(ports) int
		want int
	}{
		{"first gateway", func(p ports) int { return p.gateway(0) }, 7460},
		{"third gateway", func(p ports) int { return p.gateway(2) }, 7462},
		{"DynamoDB Local", ports.dynamoDB, 7470},
		{"cognito-local", ports.cognito, 7471},
		{"default front door", func(p ports) int { return p.frontDoor(0) }, 7490},
		{"front door near the second region", func(p ports) int { return p.frontDoor(2) }, 7492},
		{"status page", ports.statusPage, 7501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got(ports{base: DefaultBasePort}); got != tt.want {
				t.Errorf("with base %d: %d, want %d", DefaultBasePort, got, tt.want)
			}
			if got := tt.got(ports{}); got != 0 {
				t.Errorf("with base 0: %d, want 0 (any free port)", got)
			}
		})
	}
}

func TestListenNamesABusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = listen(port, "the status page")
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" for the status page is busy") {
		t.Errorf("listen on a busy port = %v, want it to name the port and its use", err)
	}
}
