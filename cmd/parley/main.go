// Command parley is the Parley IM server and its tools.
//
//	parley serve [flags]      run the server
//	parley usersig [flags]    print a UserSig
//	parley tail --user U      print what U's devices receive
//	parley bench [flags]      measure a server under load
//
// Run "parley <command> -h" for a command's flags.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "usersig":
		return userSig(rest, stdout, stderr)
	case "tail":
		return tail(rest, stdout, stderr)
	case "bench":
		return benchCmd(rest, stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "parley: unknown command %q\n\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Parley: a self-hosted IM server speaking the Tencent Cloud IM REST API.

Usage:
  parley serve [flags]     run the server (default store: SQLite under ./parley-data)
  parley usersig [flags]   print a UserSig for a user
  parley tail --user U     connect as U and print what U's devices receive
  parley bench [flags]     load-test a server (or one started in-process) and print a report

Run "parley <command> -h" for the flags of a command.
`)
}
