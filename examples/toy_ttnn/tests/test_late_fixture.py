# A test that asks for a session fixture only when it runs: what that fixture allocates lives for
# the session and is freed at its end. Not a leak of this test.
import toy_ttnn


def test_kv_pool_requested_late(request, device):
    pool = request.getfixturevalue("kv_pool")
    assert all(t.is_allocated for t in pool)
    step = toy_ttnn.add(pool[0], pool[1])
    assert step.shape == pool[0].shape
    step.deallocate()
