// SPDX-License-Identifier: GPL-2.0
/*
 * Map write descriptor: every validation rule, the accepted shapes and
 * their boundary lengths, literals, and the value-type operations.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpfpoke.h"
#include "kselftest_harness.h"

#define X16	"aaaaaaaaaaaaaaaa"
#define X64	X16 X16 X16 X16
#define X255	X64 X64 X64 X16 X16 X16 "aaaaaaaaaaaaaaa"
#define X256	X255 "a"
#define C16	"\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001\001"
#define Q16	"\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01"

/* What the library logged; each test runs in its own child. */
static char last_msg[1024];
static enum bpfpoke_print_level last_level;
static int nr_msgs;

__attribute__((format(printf, 2, 0)))
static int capture(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	last_level = level;
	nr_msgs++;
	return vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
}

/* Expect exactly one WARN message: "libbpfpoke: @msg\n". */
static bool logged(struct __test_metadata *_metadata, const char *msg)
{
	char want[sizeof(last_msg)];

	snprintf(want, sizeof(want), "libbpfpoke: %s\n", msg);
	EXPECT_EQ(1, nr_msgs);
	EXPECT_EQ(BPFPOKE_WARN, last_level);
	EXPECT_STREQ(want, last_msg);
	return nr_msgs == 1 && !strcmp(want, last_msg);
}

/*
 * A descriptor that bypasses init: as many bytes as fit, zeros behind
 * them, no NUL if a string fills its array.
 */
static void raw(struct bpfpoke_map_write *w, const char *suffix,
		const char *field, __u32 value)
{
	memset(w, 0, sizeof(*w));
	if (suffix)
		memcpy(w->suffix, suffix, strnlen(suffix, sizeof(w->suffix)));
	if (field)
		memcpy(w->field, field, strnlen(field, sizeof(w->field)));
	w->value.type = BPFPOKE_VALUE_UINT;
	w->value.num = value;
}

FIXTURE(reject) {
	struct bpfpoke_map_write w;
};

/*
 * @suffix_rule and @field_rule: what each check function returns;
 * @msg: the message init and validate log (the suffix's rule wins).
 */
FIXTURE_VARIANT(reject) {
	const char *suffix;
	const char *field;
	enum bpfpoke_map_write_rule suffix_rule;
	enum bpfpoke_map_write_rule field_rule;
	const char *msg;
};

#define REJECT_SUFFIX(name, s, r, m)					\
	FIXTURE_VARIANT_ADD(reject, name) {				\
		.suffix = s, .field = "crash",				\
		.suffix_rule = BPFPOKE_MAP_WRITE_SUFFIX_##r,		\
		.msg = "invalid map name suffix " m,			\
	}
#define REJECT_FIELD(name, f, r, m)					\
	FIXTURE_VARIANT_ADD(reject, name) {				\
		.suffix = ".bss", .field = f,				\
		.field_rule = BPFPOKE_MAP_WRITE_FIELD_##r,		\
		.msg = "invalid field " m,				\
	}

REJECT_SUFFIX(suffix_null, NULL, EMPTY, "(null): is missing or empty");
REJECT_SUFFIX(suffix_empty, "", EMPTY, "'': is missing or empty");
REJECT_SUFFIX(suffix_len16, ".123456789abcdef", TOO_LONG,
	      "'.123456789abcde'...: is longer than 15 bytes, the longest BPF map name");
REJECT_SUFFIX(suffix_len100, "." X64 "0123456789abcdefghijklmnopqrstuvwxyz012", TOO_LONG,
	      "'.aaaaaaaaaaaaaa'...: is longer than 15 bytes, the longest BPF map name");
REJECT_SUFFIX(suffix_no_dot, "bss", NO_LEADING_DOT, "'bss': does not start with '.'");
REJECT_SUFFIX(suffix_space_first, " .bss", NO_LEADING_DOT,
	      "' .bss': does not start with '.'");
REJECT_SUFFIX(suffix_bare_dot, ".", BARE_DOT, "'.': is a bare '.'");
REJECT_SUFFIX(suffix_dotdot, "..bss", LEADING_DOTDOT, "'..bss': starts with '..'");
REJECT_SUFFIX(suffix_dotdot_only, "..", LEADING_DOTDOT, "'..': starts with '..'");
REJECT_SUFFIX(suffix_space, ".b ss", WHITESPACE, "'.b ss': contains whitespace");
REJECT_SUFFIX(suffix_tab, ".b\tss", WHITESPACE, "'.b\\x09ss': contains whitespace");
REJECT_SUFFIX(suffix_newline, ".bss\n", WHITESPACE, "'.bss\\x0a': contains whitespace");
REJECT_SUFFIX(suffix_vtab, ".bss\v", WHITESPACE, "'.bss\\x0b': contains whitespace");
REJECT_SUFFIX(suffix_slash, ".b/ss", SLASH, "'.b/ss': contains '/'");
REJECT_SUFFIX(suffix_backslash, ".b\\ss", BACKSLASH, "'.b\\\\ss': contains '\\'");
REJECT_SUFFIX(suffix_ctrl, ".b\001ss", NONPRINTABLE,
	      "'.b\\x01ss': contains a non-printable or control byte");
REJECT_SUFFIX(suffix_esc, ".\033[2J", NONPRINTABLE,
	      "'.\\x1b[2J': contains a non-printable or control byte");
REJECT_SUFFIX(suffix_del, ".bss\177", NONPRINTABLE,
	      "'.bss\\x7f': contains a non-printable or control byte");
REJECT_SUFFIX(suffix_high, ".bss\200", NONPRINTABLE,
	      "'.bss\\x80': contains a non-printable or control byte");
REJECT_SUFFIX(suffix_utf8, ".b\303\237", NONPRINTABLE,
	      "'.b\\xc3\\x9f': contains a non-printable or control byte");
/* Several byte rules: the first in rule order, not in the string. */
REJECT_SUFFIX(suffix_order, ".\377\\/ x", WHITESPACE,
	      "'.\\xff\\\\/ x': contains whitespace");

REJECT_FIELD(field_null, NULL, EMPTY, "(null): is missing or empty");
REJECT_FIELD(field_empty, "", EMPTY, "'': is missing or empty");
REJECT_FIELD(field_len256, X256, TOO_LONG, "'" X64 "'...: is longer than 255 bytes");
REJECT_FIELD(field_leading_dot, ".crash", LEADING_DOT, "'.crash': starts with '.'");
REJECT_FIELD(field_bare_dot, ".", LEADING_DOT, "'.': starts with '.'");
REJECT_FIELD(field_trailing_dot, "cfg.", TRAILING_DOT, "'cfg.': ends with '.'");
REJECT_FIELD(field_dotdot, "cfg..x", DOTDOT, "'cfg..x': contains '..'");
REJECT_FIELD(field_space, "cr ash", WHITESPACE, "'cr ash': contains whitespace");
REJECT_FIELD(field_cr, "crash\r", WHITESPACE, "'crash\\x0d': contains whitespace");
REJECT_FIELD(field_ff, "\fcrash", WHITESPACE, "'\\x0ccrash': contains whitespace");
REJECT_FIELD(field_slash, "cfg/x", SLASH, "'cfg/x': contains '/'");
REJECT_FIELD(field_backslash, "cfg\\x", BACKSLASH, "'cfg\\\\x': contains '\\'");
REJECT_FIELD(field_ctrl, "cr\037ash", NONPRINTABLE,
	     "'cr\\x1fash': contains a non-printable or control byte");
REJECT_FIELD(field_del, "\177", NONPRINTABLE,
	     "'\\x7f': contains a non-printable or control byte");
REJECT_FIELD(field_high, "crash\377", NONPRINTABLE,
	     "'crash\\xff': contains a non-printable or control byte");
/* The longest message: every shown byte escaped to four. */
REJECT_FIELD(field_ctrl_long, C16 C16 C16 C16 C16, NONPRINTABLE,
	     "'" Q16 Q16 Q16 Q16 "'...: contains a non-printable or control byte");
REJECT_FIELD(field_quote, "a'b\001", NONPRINTABLE,
	     "'a\\'b\\x01': contains a non-printable or control byte");

FIXTURE_VARIANT_ADD(reject, both_bad) {
	.suffix = "bss", .field = "a b",
	.suffix_rule = BPFPOKE_MAP_WRITE_SUFFIX_NO_LEADING_DOT,
	.field_rule = BPFPOKE_MAP_WRITE_FIELD_WHITESPACE,
	.msg = "invalid map name suffix 'bss': does not start with '.'",
};

FIXTURE_SETUP(reject)
{
	memset(&self->w, 0xcc, sizeof(self->w));
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(reject)
{
}

TEST_F(reject, init)
{
	struct bpfpoke_map_write before = self->w;

	errno = 0;
	ASSERT_EQ(-EINVAL, bpfpoke_map_write_init(&self->w, variant->suffix,
						  variant->field, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(logged(_metadata, variant->msg));
	/* A failed init leaves the descriptor alone. */
	EXPECT_EQ(0, memcmp(&before, &self->w, sizeof(before)));
}

TEST_F(reject, check)
{
	enum bpfpoke_map_write_rule rule;

	EXPECT_EQ(variant->suffix_rule, bpfpoke_map_write_check_suffix(variant->suffix));
	EXPECT_EQ(variant->field_rule, bpfpoke_map_write_check_field(variant->field));
	EXPECT_EQ(0, nr_msgs);

	/* The message ends with the reported rule's text. */
	rule = variant->suffix_rule ?: variant->field_rule;
	ASSERT_NE(NULL, bpfpoke_map_write_rule_str(rule));
	EXPECT_STREQ(bpfpoke_map_write_rule_str(rule),
		     variant->msg + strlen(variant->msg) -
		     strlen(bpfpoke_map_write_rule_str(rule)));
}

/*
 * The same strings in a descriptor that init never saw.  A too long
 * string fills its array with no NUL, which validate must not read past.
 */
TEST_F(reject, validate)
{
	const char *msg = variant->msg;

	/* A descriptor holds no NULL: it becomes the empty string. */
	if (!variant->suffix)
		msg = "invalid map name suffix '': is missing or empty";
	else if (!variant->field && !variant->suffix_rule)
		msg = "invalid field '': is missing or empty";

	raw(&self->w, variant->suffix, variant->field, 1);
	errno = 0;
	ASSERT_EQ(-EINVAL, bpfpoke_map_write_validate(&self->w));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(logged(_metadata, msg));
}

FIXTURE(accept) {
	struct bpfpoke_map_write w;
};

FIXTURE_VARIANT(accept) {
	const char *suffix;
	const char *field;
	__u32 value;
};

#define ACCEPT(name, s, f, v)						\
	FIXTURE_VARIANT_ADD(accept, name) {				\
		.suffix = s, .field = f, .value = v,			\
	}

ACCEPT(bss, ".bss", "crash", 1);
ACCEPT(data_path, ".data", "cfg.inner.x", 0);
ACCEPT(rodata, ".rodata", "arr[3]", 0xffffffff);
ACCEPT(data_custom, ".data.custom", "crash", 42);
ACCEPT(path_index, ".data", "cfg.arr[2].x_1", 7);
ACCEPT(shortest, ".b", "x", 1);
ACCEPT(suffix_len15, ".123456789abcde", "crash", 1);
ACCEPT(field_len255, ".bss", X255, 1);
ACCEPT(inner_dot_suffix, ".b.s", "crash", 1);
ACCEPT(punctuation, ".bss-1", "a[0]:~@#$%^&*()_+=-", 1);

FIXTURE_SETUP(accept)
{
	memset(&self->w, 0xcc, sizeof(self->w));
	bpfpoke_set_print(capture);
}

FIXTURE_TEARDOWN(accept)
{
}

TEST_F(accept, init)
{
	struct bpfpoke_map_write want;

	ASSERT_EQ(0, bpfpoke_map_write_init(&self->w, variant->suffix,
					    variant->field, variant->value));
	EXPECT_EQ(0, nr_msgs);
	EXPECT_STREQ(variant->suffix, bpfpoke_map_write_suffix(&self->w));
	EXPECT_STREQ(variant->field, bpfpoke_map_write_field(&self->w));
	EXPECT_EQ(BPFPOKE_VALUE_UINT, bpfpoke_map_write_value(&self->w)->type);
	EXPECT_EQ(variant->value, bpfpoke_map_write_value(&self->w)->num);
	/* No 0xcc left behind the strings. */
	raw(&want, variant->suffix, variant->field, variant->value);
	EXPECT_EQ(0, memcmp(&want, &self->w, sizeof(want)));
	EXPECT_EQ(0, bpfpoke_map_write_validate(&self->w));
	EXPECT_EQ(0, nr_msgs);
}

TEST_F(accept, check)
{
	EXPECT_EQ(BPFPOKE_MAP_WRITE_OK, bpfpoke_map_write_check_suffix(variant->suffix));
	EXPECT_EQ(BPFPOKE_MAP_WRITE_OK, bpfpoke_map_write_check_field(variant->field));
}

/* Literals: static and automatic, all pass the run-time rules. */
static const struct bpfpoke_map_write literals[] = {
	BPFPOKE_MAP_WRITE(".bss", "crash", 1),
	BPFPOKE_MAP_WRITE(".data", "cfg.inner.x", 2),
	BPFPOKE_MAP_WRITE(".rodata", "arr[3]", 3),
	BPFPOKE_MAP_WRITE(".data.custom", "crash", 4),
	BPFPOKE_MAP_WRITE(".123456789abcde", X255, 5),
	BPFPOKE_MAP_WRITE_INT(".data", "delta", -5),
	BPFPOKE_MAP_WRITE_BOOL(".data", "enabled", 1),
	BPFPOKE_MAP_WRITE_ENUM(".data", "mode", "MODE_AUTO"),
	BPFPOKE_MAP_WRITE_TEXT(".data", "name", "hello"),
	BPFPOKE_MAP_WRITE_TEXT(".data", "name", ""),
};

TEST(literal)
{
	struct bpfpoke_map_write w = BPFPOKE_MAP_WRITE(".bss", "stall", 0xffffffff);
	struct bpfpoke_map_write m = BPFPOKE_MAP_WRITE_INT(".bss", "stall", -1);
	struct bpfpoke_map_write i;
	size_t n;

	bpfpoke_set_print(capture);
	for (n = 0; n < ARRAY_SIZE(literals); n++) {
		EXPECT_EQ(0, bpfpoke_map_write_validate(&literals[n]));
		ASSERT_EQ(0, bpfpoke_map_write_init_value(&i, literals[n].suffix,
							  literals[n].field,
							  &literals[n].value));
		/* Byte for byte what init makes, tails included. */
		EXPECT_EQ(0, memcmp(&i, &literals[n], sizeof(i)));
	}
	EXPECT_EQ(0, bpfpoke_map_write_validate(&w));
	EXPECT_STREQ(".bss", bpfpoke_map_write_suffix(&w));
	EXPECT_STREQ("stall", bpfpoke_map_write_field(&w));
	EXPECT_EQ(BPFPOKE_VALUE_UINT, bpfpoke_map_write_value(&w)->type);
	EXPECT_EQ(0xffffffff, bpfpoke_map_write_value(&w)->num);
	EXPECT_EQ(0, bpfpoke_map_write_validate(&m));
	EXPECT_EQ(BPFPOKE_VALUE_INT, bpfpoke_map_write_value(&m)->type);
	EXPECT_EQ(-1, (__s64)bpfpoke_map_write_value(&m)->num);
	/* The value constructors make what the literals hold. */
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&i, ".data", "delta",
						  &BPFPOKE_INT(-5)));
	EXPECT_EQ(0, memcmp(&i, &literals[5], sizeof(i)));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&i, ".data", "enabled",
						  &BPFPOKE_BOOL(7)));
	EXPECT_EQ(0, memcmp(&i, &literals[6], sizeof(i)));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&i, ".data", "mode",
						  &BPFPOKE_ENUM("MODE_AUTO")));
	EXPECT_EQ(0, memcmp(&i, &literals[7], sizeof(i)));
	ASSERT_EQ(0, bpfpoke_map_write_init_text(&i, ".data", "name", "hello"));
	EXPECT_EQ(0, memcmp(&i, &literals[8], sizeof(i)));
	EXPECT_EQ(0, nr_msgs);
}

/* Values that break a rule, each named in the message. */
TEST(value_rules)
{
	static const struct {
		struct bpfpoke_map_write_value v;
		enum bpfpoke_map_write_rule rule;
		const char *msg;
	} cases[] = {
		{ { .type = 99 }, BPFPOKE_MAP_WRITE_VALUE_TYPE,
		  "invalid value for 'crash': has a type other than text, uint, int, bool or enum" },
		{ { .type = BPFPOKE_VALUE_PTR }, BPFPOKE_MAP_WRITE_VALUE_TYPE,
		  "invalid value for 'crash': has a type other than text, uint, int, bool or enum" },
		{ { .type = BPFPOKE_VALUE_UINT, .reserved = 1 }, BPFPOKE_MAP_WRITE_VALUE_RESERVED,
		  "invalid value for 'crash': has a non-zero reserved field" },
		{ { .type = BPFPOKE_VALUE_BOOL, .num = 2 }, BPFPOKE_MAP_WRITE_VALUE_NOT_BOOL,
		  "invalid value for 'crash': is a bool other than 0 or 1" },
		{ { .type = BPFPOKE_VALUE_ENUM }, BPFPOKE_MAP_WRITE_VALUE_EMPTY,
		  "invalid value for 'crash': names no enumerator (\"\")" },
		{ { .type = BPFPOKE_VALUE_UINT, .num = 1, .text = "1" }, BPFPOKE_MAP_WRITE_VALUE_STRAY,
		  "invalid value for 'crash': carries a number or text its type does not use" },
		{ { .type = BPFPOKE_VALUE_TEXT, .num = 1, .text = "1" }, BPFPOKE_MAP_WRITE_VALUE_STRAY,
		  "invalid value for 'crash': carries a number or text its type does not use" },
	};
	struct bpfpoke_map_write w;
	char big[BPFPOKE_MAP_WRITE_TEXT_MAX + 2];
	unsigned int i;

	bpfpoke_set_print(capture);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(cases[i].rule, bpfpoke_map_write_check_value(&cases[i].v))
			TH_LOG("case %u", i);
		nr_msgs = 0;
		EXPECT_EQ(-EINVAL, bpfpoke_map_write_init_value(&w, ".bss", "crash",
								&cases[i].v));
		EXPECT_TRUE(logged(_metadata, cases[i].msg)) TH_LOG("case %u", i);
	}
	/* A text that fills its array: too long, for init and validate. */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 0;
	nr_msgs = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_init_text(&w, ".bss", "crash", big));
	EXPECT_TRUE(logged(_metadata, "invalid value for 'crash': is longer than 255 bytes"));
	big[sizeof(big) - 2] = 0;
	nr_msgs = 0;
	EXPECT_EQ(0, bpfpoke_map_write_init_text(&w, ".bss", "crash", big));
	memset(w.value.text, 'x', sizeof(w.value.text));
	EXPECT_EQ(BPFPOKE_MAP_WRITE_VALUE_TOO_LONG, bpfpoke_map_write_check_value(&w.value));
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_validate(&w));
	EXPECT_TRUE(logged(_metadata, "invalid value for 'crash': is longer than 255 bytes"));
	nr_msgs = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_init_value(&w, ".bss", "crash", NULL));
	EXPECT_TRUE(logged(_metadata, "invalid value for 'crash': NULL"));
}

/* The byte sets BPFPOKE_MAP_WRITE() checks at compile time are the rules. */
TEST(literal_byte_sets)
{
	enum bpfpoke_map_write_rule want;
	char field[] = "a?b";
	int c;

	for (c = 1; c < 256; c++) {
		field[1] = c;
		if (strchr(" \t\n\v\f\r", c))
			want = BPFPOKE_MAP_WRITE_FIELD_WHITESPACE;
		else if (c == '/')
			want = BPFPOKE_MAP_WRITE_FIELD_SLASH;
		else if (c == '\\')
			want = BPFPOKE_MAP_WRITE_FIELD_BACKSLASH;
		else if (!strchr(__BPFPOKE_PRINTABLE, c))
			want = BPFPOKE_MAP_WRITE_FIELD_NONPRINTABLE;
		else
			want = BPFPOKE_MAP_WRITE_OK;
		EXPECT_EQ(want, bpfpoke_map_write_check_field(field))
			TH_LOG("byte 0x%02x", c);
	}
}

TEST(null_descriptor)
{
	bpfpoke_set_print(capture);
	errno = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_init(NULL, ".bss", "crash", 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_validate(NULL));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_format(NULL, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(copy)
{
	struct bpfpoke_map_write a, b;

	ASSERT_EQ(0, bpfpoke_map_write_init(&a, ".bss", "crash", 1));
	b = a;
	EXPECT_TRUE(bpfpoke_map_write_equal(&a, &b));
	EXPECT_EQ(bpfpoke_map_write_hash(&a), bpfpoke_map_write_hash(&b));
	/* The copy owns its strings. */
	ASSERT_EQ(0, bpfpoke_map_write_init(&b, ".data", "stall", 2));
	EXPECT_STREQ(".bss", bpfpoke_map_write_suffix(&a));
	EXPECT_STREQ("crash", bpfpoke_map_write_field(&a));
	EXPECT_EQ(1, bpfpoke_map_write_value(&a)->num);
}

TEST(equal)
{
	struct bpfpoke_map_write a, b;

	ASSERT_EQ(0, bpfpoke_map_write_init(&a, ".bss", "crash", 1));
	ASSERT_EQ(0, bpfpoke_map_write_init(&b, ".bss", "crash", 1));
	EXPECT_TRUE(bpfpoke_map_write_equal(&a, &b));
	EXPECT_TRUE(bpfpoke_map_write_equal(&a, &a));

	ASSERT_EQ(0, bpfpoke_map_write_init(&b, ".data", "crash", 1));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	ASSERT_EQ(0, bpfpoke_map_write_init(&b, ".bss", "crash2", 1));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	ASSERT_EQ(0, bpfpoke_map_write_init(&b, ".bss", "crash", 2));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	ASSERT_EQ(0, bpfpoke_map_write_init(&b, ".bs", "crash", 1));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	/* The same number, another type; the same text, another type. */
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&b, ".bss", "crash", &BPFPOKE_INT(1)));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&b, ".bss", "crash", &BPFPOKE_BOOL(1)));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	ASSERT_EQ(0, bpfpoke_map_write_init_text(&b, ".bss", "crash", "A"));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&a, ".bss", "crash", &BPFPOKE_ENUM("A")));
	EXPECT_FALSE(bpfpoke_map_write_equal(&a, &b));
	ASSERT_EQ(0, bpfpoke_map_write_init(&a, ".bss", "crash", 1));

	/* Garbage behind the NULs is not part of the value. */
	b = a;
	b.suffix[sizeof(b.suffix) - 1] = 'x';
	b.field[sizeof(b.field) - 1] = 'y';
	EXPECT_TRUE(bpfpoke_map_write_equal(&a, &b));
	EXPECT_EQ(bpfpoke_map_write_hash(&a), bpfpoke_map_write_hash(&b));
}

/* Pinned: the hash is documented, so it must never change. */
TEST(hash)
{
	struct bpfpoke_map_write w;

	ASSERT_EQ(0, bpfpoke_map_write_init(&w, ".bss", "crash", 1));
	EXPECT_EQ(0x7d1005f9, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init(&w, ".data", "cfg.inner.x", 0xffffffff));
	EXPECT_EQ(0xb86fcb75, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init(&w, ".ab", "c", 0));
	EXPECT_EQ(0xbd387a39, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init(&w, ".a", "bc", 0));
	EXPECT_EQ(0x33fb736d, bpfpoke_map_write_hash(&w));
	/* The types 0.2 added (and UINTs past 32 bits): type, then 8 or text. */
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".bss", "crash",
						  &BPFPOKE_UINT(0x100000000ULL)));
	EXPECT_EQ(0x601f5c9a, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".bss", "crash", &BPFPOKE_INT(-1)));
	EXPECT_EQ(0x7a798d96, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".bss", "crash", &BPFPOKE_BOOL(1)));
	EXPECT_EQ(0x957bbe70, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".bss", "crash",
						  &BPFPOKE_ENUM("MODE_AUTO")));
	EXPECT_EQ(0xa1529dcd, bpfpoke_map_write_hash(&w));
	ASSERT_EQ(0, bpfpoke_map_write_init_text(&w, ".bss", "crash", "0x10"));
	EXPECT_EQ(0xb20ddfab, bpfpoke_map_write_hash(&w));
}

TEST(format)
{
	struct bpfpoke_map_write w = BPFPOKE_MAP_WRITE(".bss", "crash", 1);
	char buf[64];

	memset(buf, 0xcc, sizeof(buf));
	EXPECT_EQ(12, bpfpoke_map_write_format(&w, buf, sizeof(buf)));
	EXPECT_STREQ(".bss:crash=1", buf);

	/* snprintf semantics: full length back, truncated and terminated. */
	memset(buf, 0xcc, sizeof(buf));
	EXPECT_EQ(12, bpfpoke_map_write_format(&w, buf, 6));
	EXPECT_STREQ(".bss:", buf);
	EXPECT_EQ((char)0xcc, buf[6]);
	EXPECT_EQ(12, bpfpoke_map_write_format(&w, NULL, 0));

	ASSERT_EQ(0, bpfpoke_map_write_init(&w, ".data", "cfg.arr[3]", 0xffffffff));
	EXPECT_EQ(27, bpfpoke_map_write_format(&w, buf, sizeof(buf)));
	EXPECT_STREQ(".data:cfg.arr[3]=4294967295", buf);

	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".data", "delta", &BPFPOKE_INT(-5)));
	bpfpoke_map_write_format(&w, buf, sizeof(buf));
	EXPECT_STREQ(".data:delta=-5", buf);
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".bss", "on", &BPFPOKE_BOOL(1)));
	bpfpoke_map_write_format(&w, buf, sizeof(buf));
	EXPECT_STREQ(".bss:on=true", buf);
	ASSERT_EQ(0, bpfpoke_map_write_init_value(&w, ".data", "mode",
						  &BPFPOKE_ENUM("MODE_AUTO")));
	bpfpoke_map_write_format(&w, buf, sizeof(buf));
	EXPECT_STREQ(".data:mode=MODE_AUTO", buf);
	ASSERT_EQ(0, bpfpoke_map_write_init_text(&w, ".data", "name", "0x10"));
	bpfpoke_map_write_format(&w, buf, sizeof(buf));
	EXPECT_STREQ(".data:name=\"0x10\"", buf);
}

TEST(format_longest)
{
	struct bpfpoke_map_write w = BPFPOKE_MAP_WRITE(".123456789abcde", X255, 0);
	char buf[512];

	EXPECT_EQ(15 + 1 + 255 + 2, bpfpoke_map_write_format(&w, buf, sizeof(buf)));
	EXPECT_STREQ(".123456789abcde:" X255 "=0", buf);
}

/* No NUL anywhere: every operation stays inside the arrays. */
TEST(unterminated)
{
	struct bpfpoke_map_write w;
	char buf[512];

	memset(&w, 'a', sizeof(w));
	w.suffix[0] = '.';
	bpfpoke_set_print(capture);
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_validate(&w));
	EXPECT_TRUE(logged(_metadata, "invalid map name suffix '.aaaaaaaaaaaaaa'...: "
			   "is longer than 15 bytes, the longest BPF map name"));
	/* An unknown type shows its text, quoted: all 256 bytes of it. */
	EXPECT_EQ(16 + 1 + 256 + 1 + 258, bpfpoke_map_write_format(&w, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(".aaaaaaaaaaaaaaa:" X256 "=\"aaa", buf, 16 + 1 + 256 + 5));
	EXPECT_EQ(sizeof(buf) - 1, strlen(buf));
	EXPECT_TRUE(bpfpoke_map_write_equal(&w, &w));
	EXPECT_EQ(bpfpoke_map_write_hash(&w), bpfpoke_map_write_hash(&w));
}

/* Which string a rule is about: the suffix, the field or the value. */
static int rule_group(int rule)
{
	return rule < BPFPOKE_MAP_WRITE_FIELD_EMPTY ? 0 :
	       rule < BPFPOKE_MAP_WRITE_VALUE_TYPE ? 1 : 2;
}

TEST(rule_str)
{
	int i, j;

	EXPECT_NULL(bpfpoke_map_write_rule_str(BPFPOKE_MAP_WRITE_OK));
	EXPECT_NULL(bpfpoke_map_write_rule_str(__BPFPOKE_MAP_WRITE_RULE_MAX));
	EXPECT_NULL(bpfpoke_map_write_rule_str(-1));
	for (i = 1; i < __BPFPOKE_MAP_WRITE_RULE_MAX; i++) {
		ASSERT_NE(NULL, bpfpoke_map_write_rule_str(i))
			TH_LOG("rule %d has no text", i);
		EXPECT_NE(0, strlen(bpfpoke_map_write_rule_str(i)));
	}
	/* Within one string's rules every text is distinct. */
	for (i = 1; i < __BPFPOKE_MAP_WRITE_RULE_MAX; i++) {
		for (j = i + 1; j < __BPFPOKE_MAP_WRITE_RULE_MAX; j++) {
			if (rule_group(i) != rule_group(j))
				continue;
			EXPECT_STRNE(bpfpoke_map_write_rule_str(i),
				     bpfpoke_map_write_rule_str(j));
		}
	}
}

TEST(set_print)
{
	struct bpfpoke_map_write w;

	/* The harness cannot compare function pointers itself. */
	EXPECT_TRUE(bpfpoke_set_print(capture) == NULL);
	EXPECT_TRUE(bpfpoke_set_print(NULL) == capture);
	/* Silenced: still fails, says nothing. */
	errno = 0;
	EXPECT_EQ(-EINVAL, bpfpoke_map_write_init(&w, "bss", "crash", 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, nr_msgs);
	EXPECT_TRUE(bpfpoke_set_print(NULL) == NULL);
}

TEST_HARNESS_MAIN
