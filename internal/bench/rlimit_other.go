//go:build !unix

package bench

// raiseFileLimit does nothing here: the limit is unknown (0).
func raiseFileLimit() uint64 { return 0 }
