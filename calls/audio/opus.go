package audio

import "errors"

// ErrNoOpus is why a build without the tag opus has no Opus; its text is
// meant for the user.
var ErrNoOpus = errors.New("this build has no Opus; build with -tags opus")
