package memory_test

import (
	"testing"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/store/memory"
	"github.com/parleyim/parley/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return memory.New() })
}
