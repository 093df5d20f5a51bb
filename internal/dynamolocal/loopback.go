package dynamolocal

import (
	"context"
	"crypto/sha256"
	_ "embed" // the launcher's source
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// launcherSource is a Java main that starts DynamoDB Local with its Jetty
// connector bound to 127.0.0.1, answering only the guard in front of it. DynamoDB Local 3.x builds its server with
// new org.eclipse.jetty.server.Server(port) (javap of DynamoDBProxyServer),
// which binds every interface, and has neither a flag nor a system property
// for the host; the launcher sets the host by reflection before the server
// starts, and wraps its handler to require the guard's token. No root and no
// network namespace are needed, but compiling it needs javac, which a JDK
// has and a bare JRE does not; Start refuses to run without it.
//
//go:embed LoopbackDynamoDBLocal.java
var launcherSource []byte

// launcherClass is the launcher's class name.
const launcherClass = "LoopbackDynamoDBLocal"

// findJavac returns the javac beside java, or on the PATH, or "". Tests
// replace it to run the fallback.
var findJavac = func(java string) string {
	if p := filepath.Join(filepath.Dir(java), "javac"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("javac"); err == nil {
		return p
	}
	return ""
}

// loopbackLauncher returns a class path entry holding the compiled
// launcher, compiling it against jar's Jetty into cacheDir once per source
// and jar, or an error naming what to install when there is no javac.
func loopbackLauncher(ctx context.Context, java, jar, cacheDir string) (string, error) {
	javac := findJavac(java)
	if javac == "" {
		return "", fmt.Errorf("dynamolocal: %s", MsgNeedJDK)
	}
	sum := sha256.Sum256(append([]byte(jar+"\n"), launcherSource...))
	dir := filepath.Join(cacheDir, "dynamolocal-launcher-"+hex.EncodeToString(sum[:8]))
	if fileExists(filepath.Join(dir, launcherClass+".class")) {
		return dir, nil
	}
	// Compiled in a fresh directory and renamed into place, so concurrent
	// starts never see half a class file.
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("dynamolocal: launcher cache: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, "launcher-build-")
	if err != nil {
		return "", fmt.Errorf("dynamolocal: launcher cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, launcherClass+".java")
	if err := os.WriteFile(src, launcherSource, 0o644); err != nil {
		return "", fmt.Errorf("dynamolocal: write the launcher: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, javac, "-cp", classPath(jar), "-d", tmp, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("dynamolocal: compile the loopback launcher with %s: %w: %s", javac, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !fileExists(filepath.Join(dir, launcherClass+".class")) {
		return "", fmt.Errorf("dynamolocal: launcher cache: %w", err)
	}
	return dir, nil
}

// classPath is the jar and its libraries, where the launcher finds Jetty.
func classPath(jar string) string {
	return jar + string(os.PathListSeparator) + filepath.Join(filepath.Dir(jar), "DynamoDBLocal_lib", "*")
}
