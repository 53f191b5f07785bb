"""Orders: one per merchant per checkout, fulfilled by pickup in a booked slot or by
reserve-and-try, with stock holds, an audit trail, and returns in store."""
