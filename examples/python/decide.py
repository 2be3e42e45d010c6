#!/usr/bin/env python3
"""decide.py: librpol from Python, through ctypes.

Loads a policy built by `rpolc build`, binds the policy's extern to a Python
function, and decides a file of return requests, printing one JSON decision
per line, exactly as the C example does.

    RPOL_LIB=/usr/local/lib/librpol.so.0 python3 decide.py checkout.so requests.jsonl
"""
import ctypes
import os
import sys

lib = ctypes.CDLL(os.environ.get("RPOL_LIB", "librpol.so.0"))

P = ctypes.c_void_p
lib.rpol_runtime_new.argtypes = [ctypes.POINTER(P), P, P]
lib.rpol_load.argtypes = [P, ctypes.c_char_p, ctypes.POINTER(P)]
lib.rpol_errmsg.argtypes = [P]
lib.rpol_errmsg.restype = ctypes.c_char_p
lib.rpol_bind_extern.argtypes = [P, ctypes.c_char_p, P]
lib.rpol_input_new.argtypes = [P, ctypes.POINTER(P)]
lib.rpol_decision_new.argtypes = [P, ctypes.POINTER(P)]
lib.rpol_input_decode.argtypes = [P, ctypes.c_char_p, ctypes.c_size_t]
lib.rpol_decide.argtypes = [P, P, P]
lib.rpol_decision_error.argtypes = [P]
lib.rpol_decision_error.restype = ctypes.c_char_p
lib.rpol_decision_json.argtypes = [P, P, ctypes.c_uint, ctypes.c_char_p,
                                   ctypes.c_char_p, ctypes.c_size_t]
lib.rpol_decision_json.restype = ctypes.c_size_t
lib.rpol_input_error_json.argtypes = [P, ctypes.c_long, ctypes.c_char_p,
                                      ctypes.c_size_t]
lib.rpol_input_error_json.restype = ctypes.c_size_t
for name in ("rpol_input_free", "rpol_decision_free", "rpol_policy_unref",
             "rpol_runtime_free"):
    getattr(lib, name).argtypes = [P]

# extern fn fraud_score(customer_id: string) -> int
FRAUD_SCORE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_char_p)


@FRAUD_SCORE
def fraud_score(customer_id):
    return 90 if customer_id.startswith(b"risky-") else 10


def encode(fn, *args):
    """Calls an snprintf-like encoder, growing the buffer if needed."""
    buf = ctypes.create_string_buffer(4096)
    need = fn(*args, buf, len(buf))
    if need + 1 > len(buf):
        buf = ctypes.create_string_buffer(need + 1)
        fn(*args, buf, len(buf))
    return buf.value.decode()


def main(policy_path, requests_path):
    rt, policy = P(), P()
    if lib.rpol_runtime_new(ctypes.byref(rt), None, None) != 0 or \
       lib.rpol_load(rt, policy_path.encode(), ctypes.byref(policy)) != 0:
        sys.exit("cannot load %s: %s" % (policy_path,
                                         lib.rpol_errmsg(rt).decode()))
    lib.rpol_bind_extern(policy, b"fraud_score",
                         ctypes.cast(fraud_score, P))
    inp, decision = P(), P()
    lib.rpol_input_new(policy, ctypes.byref(inp))
    lib.rpol_decision_new(policy, ctypes.byref(decision))
    lines = errors = 0
    with open(requests_path, "rb") as f:
        for raw in f:
            lines += 1
            line = raw.rstrip(b"\n")
            if lib.rpol_input_decode(inp, line, len(line)) != 0 or \
               lib.rpol_decide(policy, inp, decision) != 0:
                print(encode(lib.rpol_input_error_json, inp, lines))
                errors += 1
            else:
                print(encode(lib.rpol_decision_json, decision, inp, 0, None))
                errors += lib.rpol_decision_error(decision) is not None
    print("%d requests, %d errors" % (lines, errors), file=sys.stderr)
    lib.rpol_decision_free(decision)
    lib.rpol_input_free(inp)
    lib.rpol_policy_unref(policy)
    lib.rpol_runtime_free(rt)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: decide.py POLICY.so REQUESTS.jsonl")
    main(sys.argv[1], sys.argv[2])
