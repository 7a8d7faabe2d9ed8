/* SPDX-License-Identifier: MIT */
/*
 * elf2c - the build's C generators, reading ELF files themselves:
 *
 *   elf2c image --bin FILE --elf FILE --include HEADER --out FILE.c
 *	the flat guest image as a C array, hm_guest_image[] and its size,
 *	and the ELF's text symbols by address, hm_guest_syms[] (for the
 *	host's dumps); HEADER declares them
 *   elf2c names --prefix P --obj FILE.o [--api HEADER]... --out FILE.h
 *	"#define NAME PNAME" for every global symbol of the object, defined
 *	or not, and every function a HEADER declares at the start of a line
 *	(HM_API ..., or a hook of core/arch.h): what objcopy
 *	--prefix-symbols=P renamed, and what the code around it calls
 *
 * Replaces shell pipelines (od | sed, nm | awk) in the BUILD files.  Bad
 * input is a one-line error and exit status 1.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "elf2c";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						     noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct buf {
	unsigned char *p;
	size_t n;
};

static struct buf slurp(const char *path)
{
	struct buf b = { 0, 0 };
	FILE *f = fopen(path, "rb");
	size_t cap = 0, got;

	if (!f)
		die("%s: %s", path, strerror(errno));
	do {
		if (b.n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			b.p = realloc(b.p, cap);
			if (!b.p)
				die("%s: out of memory", path);
		}
		got = fread(b.p + b.n, 1, cap - b.n, f);
		b.n += got;
	} while (got);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	return b;
}

static FILE *create(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

static void finish(FILE *f, const char *path)
{
	if (ferror(f) || fclose(f))
		die("%s: write error", path);
}

/* ---- ELF symbols, 32- or 64-bit -------------------------------------------- */

struct sym {
	uint64_t value;
	const char *name;
	unsigned char bind, type;
	bool undefined;
	bool text;		/* in an executable section */
};

struct symtab {
	struct sym *s;
	size_t n;
};

static const void *at(const struct buf *b, const char *path, uint64_t off,
		      uint64_t len)
{
	if (off > b->n || len > b->n - off)
		die("%s: truncated ELF (offset %llu, %llu bytes)", path,
		    (unsigned long long)off, (unsigned long long)len);
	return b->p + off;
}

/* One reader for both classes: the field names are the same. */
#define READ_SYMTAB(Ehdr, Shdr, Sym, BIND, TYPE)				\
	do {								\
		const Ehdr *eh = at(b, path, 0, sizeof(Ehdr));		\
		const Shdr *sh = at(b, path, eh->e_shoff,		\
				    (uint64_t)eh->e_shnum * sizeof(Shdr)); \
									\
		for (unsigned i = 0; i < eh->e_shnum; i++) {		\
			const Shdr *strs;				\
			const Sym *sy;					\
			const char *str;				\
			size_t nsym;					\
									\
			if (sh[i].sh_type != SHT_SYMTAB)		\
				continue;				\
			if (sh[i].sh_link >= eh->e_shnum)		\
				die("%s: bad string table link", path);	\
			strs = &sh[sh[i].sh_link];			\
			str = at(b, path, strs->sh_offset, strs->sh_size); \
			nsym = sh[i].sh_size / sizeof(Sym);		\
			sy = at(b, path, sh[i].sh_offset,		\
				nsym * sizeof(Sym));			\
			t.s = calloc(nsym ? nsym : 1, sizeof(*t.s));	\
			if (!t.s)					\
				die("%s: out of memory", path);		\
			for (size_t k = 0; k < nsym; k++) {		\
				struct sym *o = &t.s[t.n];		\
									\
				if (sy[k].st_name >= strs->sh_size)	\
					die("%s: bad symbol name", path); \
				o->name = str + sy[k].st_name;		\
				o->value = sy[k].st_value;		\
				o->bind = BIND(sy[k].st_info);		\
				o->type = TYPE(sy[k].st_info);		\
				o->undefined = sy[k].st_shndx == SHN_UNDEF; \
				o->text = sy[k].st_shndx < eh->e_shnum && \
					  sy[k].st_shndx != SHN_UNDEF && \
					  (sh[sy[k].st_shndx].sh_flags & \
					   SHF_EXECINSTR);		\
				if (*o->name && o->type != STT_SECTION && \
				    o->type != STT_FILE)		\
					t.n++;				\
			}						\
			return t;					\
		}							\
		die("%s: no symbol table", path);			\
	} while (0)

static struct symtab read_symtab(const struct buf *b, const char *path)
{
	struct symtab t = { 0, 0 };
	const unsigned char *id = at(b, path, 0, EI_NIDENT);

	if (memcmp(id, ELFMAG, SELFMAG))
		die("%s: not an ELF file", path);
	if (id[EI_CLASS] == ELFCLASS32)
		READ_SYMTAB(Elf32_Ehdr, Elf32_Shdr, Elf32_Sym, ELF32_ST_BIND,
			    ELF32_ST_TYPE);
	else if (id[EI_CLASS] == ELFCLASS64)
		READ_SYMTAB(Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, ELF64_ST_BIND,
			    ELF64_ST_TYPE);
	die("%s: unknown ELF class %u", path, id[EI_CLASS]);
}

/* ---- image ------------------------------------------------------------------ */

static int by_address(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void image(const char *bin, const char *elf, const char *include,
		  const char *out)
{
	struct buf img = slurp(bin), e = slurp(elf);
	struct symtab t = read_symtab(&e, elf);
	FILE *f = create(out);
	size_t n = 0;

	fprintf(f, "/* Generated by elf2c image from %s. */\n", elf);
	fprintf(f, "#include \"%s\"\n\n", include);
	fprintf(f, "const unsigned char hm_guest_image[] = {");
	for (size_t i = 0; i < img.n; i++)
		fprintf(f, "%s0x%02x,", i % 16 ? " " : "\n\t", img.p[i]);
	fprintf(f, "\n};\nconst unsigned int hm_guest_image_size = %zu;\n\n",
		img.n);

	/* What nm calls t and T: symbols of the code, by address. */
	for (size_t i = 0; i < t.n; i++)
		if (t.s[i].text)
			t.s[n++] = t.s[i];
	if (!n)
		die("%s: no code symbols", elf);
	qsort(t.s, n, sizeof(*t.s), by_address);
	fprintf(f, "const struct hm_guest_sym hm_guest_syms[] = {\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "\t{ 0x%08llxu, \"%s\" },\n",
			(unsigned long long)t.s[i].value, t.s[i].name);
	fprintf(f, "};\nconst unsigned int hm_guest_nsyms = "
		"sizeof(hm_guest_syms) / sizeof(hm_guest_syms[0]);\n");
	finish(f, out);
	free(t.s);
	free(e.p);
	free(img.p);
}

/* ---- names ------------------------------------------------------------------ */

struct names {
	char **v;
	size_t n, cap;
};

static void add(struct names *ns, const char *s, size_t len)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 256;
		ns->v = realloc(ns->v, ns->cap * sizeof(*ns->v));
		if (!ns->v)
			die("out of memory");
	}
	ns->v[ns->n] = strndup(s, len);
	if (!ns->v[ns->n++])
		die("out of memory");
}

/*
 * The function a line declares, if it declares one at its start (the
 * declarations of highmem.h and arch.h are written so): the first hm_*
 * identifier followed by '(' on a line that starts with a letter.
 */
static void declared(struct names *ns, const char *line, size_t len)
{
	if (!len || !isalpha((unsigned char)line[0]))
		return;
	for (size_t i = 0; i + 3 < len; i++) {
		size_t j = i;

		if (strncmp(line + i, "hm_", 3) ||
		    (i && (isalnum((unsigned char)line[i - 1]) ||
			   line[i - 1] == '_')))
			continue;
		while (j < len && (isalnum((unsigned char)line[j]) ||
				   line[j] == '_'))
			j++;
		if (j < len && line[j] == '(') {
			add(ns, line + i, j - i);
			return;
		}
		i = j;
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names(const char *prefix, const char *obj, const char **api,
		  size_t napi, const char *out)
{
	struct buf o = slurp(obj);
	struct symtab t = read_symtab(&o, obj);
	struct names ns = { 0, 0, 0 };
	size_t from_obj;
	FILE *f;

	for (size_t i = 0; i < t.n; i++)
		if (t.s[i].bind == STB_GLOBAL || t.s[i].bind == STB_WEAK)
			add(&ns, t.s[i].name, strlen(t.s[i].name));
	from_obj = ns.n;
	if (!from_obj)
		die("%s: no global symbols", obj);
	for (size_t h = 0; h < napi; h++) {
		struct buf hb = slurp(api[h]);
		size_t before = ns.n;

		for (size_t i = 0, j; i < hb.n; i = j + 1) {
			for (j = i; j < hb.n && hb.p[j] != '\n'; j++)
				;
			declared(&ns, (const char *)hb.p + i, j - i);
		}
		if (ns.n == before)
			die("%s: declares no hm_* function", api[h]);
		free(hb.p);
	}
	qsort(ns.v, ns.n, sizeof(*ns.v), by_name);

	f = create(out);
	fprintf(f, "/* Generated by elf2c names from %s: the names of its "
		"symbols, which carry the\n * prefix %s there. */\n", obj,
		prefix);
	for (size_t i = 0; i < ns.n; i++)
		if (!i || strcmp(ns.v[i], ns.v[i - 1]))
			fprintf(f, "#define %s %s%s\n", ns.v[i], prefix,
				ns.v[i]);
	finish(f, out);
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	free(t.s);
	free(o.p);
}

/* ---- main ------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: %s image --bin FILE --elf FILE --include HEADER --out FILE\n"
		"       %s names --prefix P --obj FILE [--api HEADER]... --out FILE\n",
		prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *bin = 0, *elf = 0, *include = 0, *out = 0, *prefix = 0;
	const char *obj = 0;
	const char **api = calloc((size_t)argc, sizeof(*api));
	size_t napi = 0;

	if (argc < 2 || !api)
		usage();
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i], **dst;

		if (i + 1 >= argc)
			die("%s needs a value", opt);
		if (!strcmp(opt, "--bin"))
			dst = &bin;
		else if (!strcmp(opt, "--elf"))
			dst = &elf;
		else if (!strcmp(opt, "--include"))
			dst = &include;
		else if (!strcmp(opt, "--out"))
			dst = &out;
		else if (!strcmp(opt, "--prefix"))
			dst = &prefix;
		else if (!strcmp(opt, "--obj"))
			dst = &obj;
		else if (!strcmp(opt, "--api"))
			dst = &api[napi++];
		else
			die("unknown option %s", opt);
		*dst = argv[++i];
	}
	if (!strcmp(argv[1], "image")) {
		if (!bin || !elf || !include || !out)
			usage();
		image(bin, elf, include, out);
	} else if (!strcmp(argv[1], "names")) {
		if (!prefix || !obj || !out)
			usage();
		names(prefix, obj, api, napi, out);
	} else {
		usage();
	}
	free(api);
	return 0;
}
