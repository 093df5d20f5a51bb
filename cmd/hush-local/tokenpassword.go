package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
)

// passwordEnv names the environment variable `hush-local token` takes a
// password from: unlike a flag, the environment of a process is not shown
// to other users.
const passwordEnv = "HUSH_LOCAL_PASSWORD" //nolint:gosec // the name of a variable, not a credential

// tokenStdin and tokenGetenv are where `hush-local token` reads a password;
// tests replace them.
var (
	tokenStdin  io.Reader = os.Stdin
	tokenGetenv           = os.Getenv
)

// tokenPassword returns the password to sign user in with: from the
// -password flag, standard input (-password-stdin) or the environment, in
// that order; "" when none gives one (a demo user's is then used).
func tokenPassword(flagValue string, fromStdin bool, user string) (string, error) {
	if flagValue != "" && fromStdin {
		return "", errors.New("give -password or -password-stdin, not both")
	}
	if fromStdin {
		line, err := bufio.NewReader(tokenStdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password of %s from standard input: %w", user, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", fmt.Errorf("-password-stdin: standard input has no password for %s on its first line", user)
		}
		return line, nil
	}
	if flagValue != "" {
		return flagValue, nil
	}
	return tokenGetenv(passwordEnv), nil
}

// checkLoopback returns an error unless endpoint is an http URL on a
// loopback address: the local stack listens nowhere else, so a lock file
// that says otherwise was not written by it.
func checkLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("the Cognito endpoint %q, which is not an http URL", endpoint)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("the Cognito endpoint %q, which is not on a loopback address", endpoint)
	}
	return nil
}
