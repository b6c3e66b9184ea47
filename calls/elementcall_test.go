package calls

import (
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/matrix"
)

// The MatrixRTC session engine is the Controller's ElementCall.
var _ ElementCall = (*rtc.Manager)(nil)

// The client core is what the session engine needs.
var _ rtc.Matrix = (*matrix.Client)(nil)
