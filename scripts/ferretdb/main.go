// Command ferretdb runs an embedded FerretDB v1 server (SQLite backend) for the
// test suite of Mongock for TypeScript.
//
// It is a thin wrapper around github.com/FerretDB/FerretDB/ferretdb, the
// embeddable FerretDB package: that package never starts the telemetry
// reporter and explicitly disables telemetry, so the server makes no outgoing
// network connections. Building through this wrapper also avoids the start-up
// panic of `go install .../cmd/ferretdb` (its build/version/version.txt is a
// generated file that is not part of the published module).
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:27027 -data .test-servers/ferretdb/data
//
// It serves until SIGINT or SIGTERM and logs to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

// ferretdbModule is the module path of FerretDB, as listed in go.mod.
const ferretdbModule = "github.com/FerretDB/FerretDB"

func main() {
	listen := flag.String("listen", "127.0.0.1:27027", "TCP address to listen on (must be a loopback address)")
	data := flag.String("data", "", "directory for the SQLite database files (required)")
	debug := flag.Bool("debug", false, "log at debug level")
	allowNonLoopback := flag.Bool("allow-non-loopback", false, "allow a listen address that is not loopback")
	pidFile := flag.String("pidfile", "", "if set, write the process id to this file once listening, remove it on exit")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if err := run(logger, *listen, *data, *pidFile, *allowNonLoopback); err != nil {
		logger.Error("ferretdb failed", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger, listen, data, pidFile string, allowNonLoopback bool) error {
	if data == "" {
		return fmt.Errorf("-data is required")
	}

	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("invalid -listen %q: %w", listen, err)
	}
	if !allowNonLoopback {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("-listen %q is not a loopback address", listen)
		}
	}

	// When FerretDB is embedded, its version package does not read the generated
	// build/version/version.txt (absent from the published module), so the version
	// would be reported as "unknown". Report the module version from go.mod instead
	// (visible as buildInfo.ferretdbVersion and serverStatus.ferretdbVersion).
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == ferretdbModule {
				version.Get().Version = dep.Version
			}
		}
	}

	dir, err := filepath.Abs(data)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	// FerretDB's SQLite handler takes a directory URI that must end with a slash.
	sqliteURL := "file:" + filepath.ToSlash(dir) + "/"

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			TCP: listen,
		},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// ferretdb.New has already bound the TCP listener, so the port answers from here on.
	logger.Info("ferretdb listening",
		"uri", f.MongoDBURI(), "version", version.Get().Version, "sqlite", sqliteURL, "pid", os.Getpid())

	if pidFile != "" {
		if werr := os.WriteFile(pidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); werr != nil {
			logger.Warn("cannot write pid file", "path", pidFile, "error", werr)
		} else {
			defer os.Remove(pidFile)
		}
	}

	err = <-done
	logger.Info("ferretdb stopped")
	return err
}
