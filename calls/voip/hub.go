package voip

import "github.com/termatrix/termatrix/calls"

// Subscribe returns a channel of call snapshots and a function that ends
// the subscription. A slow reader never blocks the Manager and loses none.
func (m *Manager) Subscribe() (<-chan calls.CallChanged, func()) { return m.hub.Subscribe() }
