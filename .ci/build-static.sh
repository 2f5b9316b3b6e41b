#!/bin/sh
# Builds the add-on's release binary for one musl target and proves it is statically linked.
#
# The add-on is built with --no-default-features: the `demo` feature (simulated LG cloud, its
# HTTP server, the embedded MQTT broker, `thinq-addon demo`) is for developers and never ships
# in the image.
#
#   .ci/build-static.sh <rust-target> <out-dir>     e.g. x86_64-unknown-linux-musl target/static
#
# The Dockerfile's builder stage runs this (natively, on rust:*-alpine), and CI runs it on the
# Debian machine, so the image and CI build the binary the same way. The final image is the
# Home Assistant base image, which carries no Rust runtime: a binary that needs a dynamic
# loader or a shared library would not start there, hence the ELF check at the end.
#
# Needs: cargo (+ rustup to add the target when missing). On a glibc host, x86_64 musl needs
# musl-gcc (Debian: musl-tools) for ring's C code; aarch64 from a non-aarch64 host needs
# clang + llvm-ar (ring's C/asm, linked by rust-lld). Plain POSIX sh: Alpine has no bash.
set -eu

usage="usage: $0 <x86_64-unknown-linux-musl|aarch64-unknown-linux-musl> <out-dir>"
target=${1:?$usage}
out_dir=${2:?$usage}

case "$target" in
x86_64-unknown-linux-musl) elf_machine=62 ;;
aarch64-unknown-linux-musl) elf_machine=183 ;;
*)
	echo "build-static: unsupported target '$target'; $usage" >&2
	exit 2
	;;
esac

# The toolchain's own target tells native builds (rust:alpine) from the others.
host_triple=$(rustc -vV | sed -n 's/^host: //p')
host_arch=${host_triple%%-*}
target_arch=${target%%-*}

if command -v rustup >/dev/null 2>&1; then
	if ! rustup target list --installed | grep -qx "$target"; then
		echo "build-static: adding Rust target $target"
		rustup target add "$target"
	fi
fi

# Natively on a musl host (Alpine) the system cc already targets musl. Elsewhere point cc-rs
# at a musl compiler for ring's C code; values already in the environment win.
if [ "$host_triple" != "$target" ]; then
	if [ "$target_arch" = "$host_arch" ]; then
		if ! command -v musl-gcc >/dev/null 2>&1; then
			echo "build-static: musl-gcc not found; install it (Debian: apt-get install musl-tools)" >&2
			exit 1
		fi
		cc_var="CC_$(echo "$target" | tr '-' '_')"
		eval ": \"\${$cc_var:=musl-gcc}\"; export $cc_var"
	elif [ "$target" = aarch64-unknown-linux-musl ]; then
		# ring needs only clang's freestanding headers for aarch64; rust-lld links the rest.
		: "${CC_aarch64_unknown_linux_musl:=clang}"
		: "${CFLAGS_aarch64_unknown_linux_musl:=--target=aarch64-unknown-linux-musl}"
		: "${AR_aarch64_unknown_linux_musl:=llvm-ar}"
		: "${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:=rust-lld}"
		export CC_aarch64_unknown_linux_musl CFLAGS_aarch64_unknown_linux_musl \
			AR_aarch64_unknown_linux_musl CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER
	else
		echo "build-static: no cross-compiler setup for $target on $host_triple" >&2
		exit 1
	fi
fi

echo "build-static: cargo build --release --locked --no-default-features --target $target"
cargo build --release --locked --no-default-features --target "$target"

target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$out_dir"
binary="$out_dir/thinq-addon"
cp "$target_dir/$target/release/thinq-addon" "$binary"

# --- ELF check with nothing but od and awk -------------------------------------------------
# Reads <len> bytes at <offset> of the binary as an unsigned little-endian number.
le() {
	od -An -v -t u1 -j "$1" -N "$2" "$binary" |
		awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
		     END { v = 0; for (i = n - 1; i >= 0; i--) v = v * 256 + b[i]; printf "%.0f\n", v }'
}

fail() {
	echo "build-static: $binary $1" >&2
	exit 1
}

[ "$(od -An -t x1 -N 4 "$binary" | tr -d ' \n')" = 7f454c46 ] || fail "is not an ELF file"
[ "$(le 4 1)" = 2 ] || fail "is not a 64-bit ELF file"
[ "$(le 5 1)" = 1 ] || fail "is not little-endian"
machine=$(le 18 2)
[ "$machine" = "$elf_machine" ] || fail "is for ELF machine $machine, expected $elf_machine ($target)"

phoff=$(le 32 8)
phentsize=$(le 54 2)
phnum=$(le 56 2)
i=0
while [ "$i" -lt "$phnum" ]; do
	header=$((phoff + i * phentsize))
	p_type=$(le "$header" 4)
	# PT_INTERP: the binary asks for a dynamic loader, which the base image may not have.
	[ "$p_type" = 3 ] && fail "requests a program interpreter (dynamically linked)"
	# PT_DYNAMIC (static-pie has one for self-relocation): no DT_NEEDED shared libraries.
	if [ "$p_type" = 2 ]; then
		dyn_offset=$(le $((header + 8)) 8)
		dyn_size=$(le $((header + 32)) 8)
		entry=0
		while [ "$entry" -lt "$dyn_size" ]; do
			tag=$(le $((dyn_offset + entry)) 8)
			[ "$tag" = 0 ] && break          # DT_NULL ends the table
			[ "$tag" = 1 ] && fail "needs a shared library (DT_NEEDED)"
			entry=$((entry + 16))
		done
	fi
	i=$((i + 1))
done

if command -v file >/dev/null 2>&1; then
	file "$binary"
fi
echo "build-static: $binary is statically linked for $target ($(wc -c <"$binary") bytes)"
