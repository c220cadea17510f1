package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/parleyim/parley/internal/auth"
)

// defaultSigExpire is the validity the official UserSig libraries default to.
const defaultSigExpire = 180 * 24 * 3600

func userSig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("usersig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sdkappid := fs.Uint64("sdkappid", 0, "SDKAppID")
	key := fs.String("key", "", "the app's secret key")
	user := fs.String("user", "", "UserID to sign for")
	expire := fs.Int64("expire", defaultSigExpire, "validity in seconds")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *sdkappid == 0 || *key == "" || *user == "" || *expire <= 0 {
		fmt.Fprintln(stderr, "parley usersig: --sdkappid, --key and --user are required; --expire must be positive")
		fs.Usage()
		return 2
	}
	sig, err := auth.GenUserSig(*sdkappid, *key, *user, *expire, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "parley usersig:", err)
		return 1
	}
	fmt.Fprintln(stdout, sig)
	return 0
}
