# shellcheck shell=bash
# Host-side helpers shared by run-in-guest, build-initramfs, selftest and
# ../setup-host.  Source this file; it defines functions only.

# Where built artefacts that do not belong in the repository live
# (initramfs images, the extracted linux-source tree).  Root (CI, the
# developers) uses /var/cache/regcache; REGCACHE_CACHE_DIR overrides it.
regcache_cache_dir() {
	if [[ -n ${REGCACHE_CACHE_DIR:-} ]]; then
		printf '%s\n' "$REGCACHE_CACHE_DIR"
	elif [[ $(id -u) -eq 0 ]]; then
		printf '%s\n' /var/cache/regcache
	else
		printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/regcache"
	fi
}

# The extracted linux-source-6.1 tree made by setup-host
# (scripts/checkpatch.pl, a base for a debug kernel build).  Prints its
# path; fails if setup-host has not extracted it yet.
linux_source_tree() {
	local tree
	tree="$(regcache_cache_dir)/linux-source-6.1"
	if [[ ! -f $tree/Makefile ]]; then
		echo "linux-source-6.1 is not extracted at $tree: run integration-tests/setup-host" >&2
		return 1
	fi
	printf '%s\n' "$tree"
}

# The Debian kernel the guest boots by default: the newest
# /boot/vmlinuz-*-amd64 whose modules are installed.  Prints its version.
newest_debian_kernel_version() {
	local image version newest=""
	for image in /boot/vmlinuz-*-amd64; do
		[[ -e $image ]] || continue
		version=${image#/boot/vmlinuz-}
		[[ -d /lib/modules/$version/kernel ]] || continue
		newest=$(printf '%s\n%s\n' "$newest" "$version" | sed '/^$/d' | sort -V | tail -n 1)
	done
	if [[ -z $newest ]]; then
		echo "no /boot/vmlinuz-*-amd64 with modules in /lib/modules: run integration-tests/setup-host" >&2
		return 1
	fi
	printf '%s\n' "$newest"
}

# The release string (uname -r) stored in an x86 bzImage: the setup header
# holds, at offset 0x20e, a pointer (relative to 0x200) to the version
# text "6.1.0-56-amd64 (debian-kernel@...) #1 SMP ...".
kernel_image_version() {
	local image=$1 magic offset version
	magic=$(dd if="$image" bs=1 skip=514 count=4 status=none 2>/dev/null) || true
	if [[ $magic != HdrS ]]; then
		echo "$image is not an x86 bzImage (no HdrS setup header)" >&2
		return 1
	fi
	offset=$(od -An -tu2 -j 526 -N 2 "$image" | tr -d ' ')
	version=$(dd if="$image" bs=1 skip=$((offset + 512)) count=256 status=none |
		tr '\0' '\n' | head -n 1 | cut -d ' ' -f 1)
	if [[ -z $version ]]; then
		echo "cannot read the kernel version from $image" >&2
		return 1
	fi
	printf '%s\n' "$version"
}
