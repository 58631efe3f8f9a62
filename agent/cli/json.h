/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small streaming JSON writer for the CLI's -j/--json output. */
#ifndef __BPFPOKE_CLI_JSON_H
#define __BPFPOKE_CLI_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

struct json;

struct json *json_new(FILE *f, bool pretty);
/* Frees; @j may be NULL.  The file stays open. */
void json_destroy(struct json *j);

void json_start_object(struct json *j);
void json_end_object(struct json *j);
void json_start_array(struct json *j);
void json_end_array(struct json *j);
/* The name of the next member of an object. */
void json_name(struct json *j, const char *name);

void json_string(struct json *j, const char *s);
/* @len bytes, NULs included. */
void json_string_len(struct json *j, const void *s, size_t len);
void json_null(struct json *j);
/* @token as it is (bpftool's plain-text BTF dumps print 0x... bare). */
void json_raw(struct json *j, const char *token);
/* NaN and infinities as null. */
void json_double(struct json *j, double v);
void json_uint(struct json *j, __u64 v);
void json_int(struct json *j, __s64 v);
void json_bool(struct json *j, bool v);
/* "0x..." as a string: JSON numbers lose bits above 2^53. */
void json_hex(struct json *j, __u64 v);

/* name + value in one call */
void json_string_field(struct json *j, const char *name, const char *s);
void json_uint_field(struct json *j, const char *name, __u64 v);
void json_bool_field(struct json *j, const char *name, bool v);
void json_hex_field(struct json *j, const char *name, __u64 v);

#endif /* __BPFPOKE_CLI_JSON_H */
