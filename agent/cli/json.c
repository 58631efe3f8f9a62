// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A small streaming JSON writer, in the spirit of bpftool's json_writer:
 * the caller nests objects and arrays, the writer places the commas.
 * Pretty output is laid out as bpftool's (-p, and its plain-text BTF
 * dumps): each member name on a line of its own, indented by four spaces
 * a level; array elements follow each other on the line ("[{", "},{",
 * "[1,2,3"); a closing bracket on its own line after anything.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_NEST	32

struct json {
	FILE *f;
	bool pretty;
	int depth;
	/* Per level: something was written, so the next value needs ','. */
	bool used[MAX_NEST];
	/* A name was just written: the value goes right after it. */
	bool after_name;
};

struct json *json_new(FILE *f, bool pretty)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j) {
		j->f = f;
		j->pretty = pretty;
	}
	return j;
}

void json_destroy(struct json *j)
{
	free(j);
}

static void indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("    ", j->f);
}

/* The comma before a value or a name. */
static void sep(struct json *j)
{
	if (j->after_name) {
		j->after_name = false;
		return;
	}
	if (j->depth > 0 && j->depth < MAX_NEST && j->used[j->depth])
		fputc(',', j->f);
	if (j->depth > 0 && j->depth < MAX_NEST)
		j->used[j->depth] = true;
}

static void open_nest(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	j->depth++;
	if (j->depth < MAX_NEST)
		j->used[j->depth] = false;
}

static void close_nest(struct json *j, char c)
{
	bool used = j->depth < MAX_NEST && j->used[j->depth];

	j->depth--;
	if (used)
		indent(j);
	fputc(c, j->f);
}

void json_start_object(struct json *j)
{
	open_nest(j, '{');
}

void json_end_object(struct json *j)
{
	close_nest(j, '}');
}

void json_start_array(struct json *j)
{
	open_nest(j, '[');
}

void json_end_array(struct json *j)
{
	close_nest(j, ']');
}

/* @len bytes at @s, quoted; bytes outside ASCII's printable range as \\u00XX. */
static void put_string(struct json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	fputc('"', j->f);
	for (; p < end; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", j->f);
			break;
		case '\\':
			fputs("\\\\", j->f);
			break;
		case '\n':
			fputs("\\n", j->f);
			break;
		case '\t':
			fputs("\\t", j->f);
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(j->f, "\\u%04x", *p);
			else
				fputc(*p, j->f);
		}
	}
	fputc('"', j->f);
}

void json_name(struct json *j, const char *name)
{
	sep(j);
	indent(j);
	put_string(j, name, strlen(name));
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_name = true;
}

void json_string(struct json *j, const char *s)
{
	sep(j);
	put_string(j, s, strlen(s));
}

void json_string_len(struct json *j, const void *s, size_t len)
{
	sep(j);
	put_string(j, s, len);
}

void json_raw(struct json *j, const char *token)
{
	sep(j);
	fputs(token, j->f);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->f);
}

void json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	sep(j);
	fprintf(j->f, "%.17g", v);
}

void json_uint(struct json *j, __u64 v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, (uint64_t)v);
}

void json_int(struct json *j, __s64 v)
{
	sep(j);
	fprintf(j->f, "%" PRId64, (int64_t)v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_hex(struct json *j, __u64 v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	json_string(j, buf);
}

void json_string_field(struct json *j, const char *name, const char *s)
{
	json_name(j, name);
	json_string(j, s);
}

void json_uint_field(struct json *j, const char *name, __u64 v)
{
	json_name(j, name);
	json_uint(j, v);
}

void json_bool_field(struct json *j, const char *name, bool v)
{
	json_name(j, name);
	json_bool(j, v);
}

void json_hex_field(struct json *j, const char *name, __u64 v)
{
	json_name(j, name);
	json_hex(j, v);
}
