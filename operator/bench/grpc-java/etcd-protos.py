"""Copies etcd's own .proto files (api/v3 at ETCD_VERSION, from the Go module cache) into
target/etcd-protos for protoc, dropping the gogoproto, grpc-gateway and openapi options that only
Go code generation reads. Messages, fields and services stay as etcd defines them.
usage: python3 etcd-protos.py MODULE_DIR OUT_DIR"""
import os, re, sys

src, out = sys.argv[1], sys.argv[2]
for rel in ["etcdserverpb/rpc.proto", "mvccpb/kv.proto", "authpb/auth.proto", "versionpb/version.proto"]:
    text = open(os.path.join(src, rel)).read()
    text = re.sub(r'import "(gogoproto/gogo|google/api/annotations|protoc-gen-openapiv2/options/annotations)\.proto";\n', "", text)
    text = re.sub(r"option \(gogoproto\.[^;]*;\n", "", text)
    # field options: [(gogoproto.x) = y, ...] -> keep non-gogo ones
    def fix(m):
        opts = [o.strip() for o in m.group(1).split(",") if "gogoproto" not in o]
        return " [" + ", ".join(opts) + "]" if opts else ""
    text = re.sub(r"\s*\[([^\]]*gogoproto[^\]]*)\]", fix, text)
    # multi-line option blocks of grpc-gateway and openapi
    text = re.sub(r"option \((google\.api\.http|grpc\.gateway\.protoc_gen_openapiv2\.options\.\w+)\) = \{.*?\n\s*\};\n", "", text, flags=re.S)
    text = re.sub(r"\{\s*\}", "{}", text)
    dest = os.path.join(out, "etcd/api", rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    open(dest, "w").write(text)
print("etcd protos in", out)
