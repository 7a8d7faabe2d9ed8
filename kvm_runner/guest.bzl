"""The guest image of kvm_runner, built from the core's own sources."""

load("//tools:copts.bzl", "FREESTANDING_I386_COPTS")

def hm_guest_blob(name, srcs, linker_script, defines = [], **kwargs):
    """The guest: @srcs compiled freestanding for i386, linked like a kernel
    by @linker_script, flattened, and turned into a C array (plus its
    symbol table, for the dumps) that the host links in: NAME.c (and
    NAME.elf).  @defines: extra -D flags (the injected-bug builds)."""
    cflags = " ".join(FREESTANDING_I386_COPTS + ["-I."] +
                      ["-D" + d for d in defines])
    native.genrule(
        name = name,
        srcs = srcs + [linker_script],
        outs = [
            name + ".elf",
            name + ".c",
        ],
        tools = ["//tools:elf2c"],
        cmd = " && ".join([
            "d=$(@D)/%s_build && rm -rf $$d && mkdir -p $$d" % name,
            "for f in $(SRCS); do case $$f in *.c|*.S) " +
            "clang-14 " + cflags + " -c $$f " +
            "-o $$d/$$(echo $$f | tr / _).o || exit 1;; esac; done",
            "clang-14 -m32 -ffreestanding -nostdlib -static -fuse-ld=lld " +
            "-Wl,-T,$(location %s) -Wl,--build-id=none " % linker_script +
            "$$d/*.o -o $(location %s.elf)" % name,
            "objcopy -O binary $(location %s.elf) $$d/guest.bin" % name,
            "$(location //tools:elf2c) image --bin $$d/guest.bin " +
            "--elf $(location %s.elf) " % name +
            "--include kvm_runner/host/runner.h --out $(location %s.c)" % name,
        ]),
        **kwargs
    )
