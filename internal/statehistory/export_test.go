package statehistory

// SetTestHookWalked sets the hook PickFrom's walk calls after each
// revision it hands on (nil: none).
func SetTestHookWalked(f func(done int)) { testHookWalked = f }
