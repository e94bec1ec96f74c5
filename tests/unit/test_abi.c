// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * include/udpesp/abi.h against the BTF of build/udpesp.bpf.o: every shared
 * struct has the same size, members, member offsets and member types on
 * both sides, and the maps of the object are typed with those structs.
 * Unprivileged: the object is only parsed and opened, never loaded.
 *
 * UDPESP_BPF_OBJ overrides the object's path (default relative to the
 * repository root, where tests/run.sh runs the tests).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include <udpesp/abi.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kernel keeps BPF_OBJ_NAME_LEN - 1 characters of a name. */
#define OBJ_NAME_MAX 15

static const char *bpf_obj_path(void)
{
	const char *path = getenv("UDPESP_BPF_OBJ");

	return path && *path ? path : "build/udpesp.bpf.o";
}

/*
 * One member of a shared struct as the C compiler lays it out. type is the
 * BTF name of the member's type as abi.h spells it (the element type for
 * arrays): __be32 and __u32 must stay apart for bpftool's sake.
 */
struct abi_member {
	const char *name;
	const char *type;
	size_t offset;
	size_t size;
};

#define MEMBER(s, field, t)                             \
	{                                               \
		.name = #field,                         \
		.type = #t,                             \
		.offset = offsetof(struct s, field),    \
		.size = sizeof(((struct s *)0)->field), \
	}

/*
 * The member tables. Adding a field to abi.h without adding it here fails
 * twice: the BTF member count differs, and the table no longer covers the
 * struct byte for byte.
 */
static const struct abi_member parser_key_members[] = {
	MEMBER(udpesp_parser_key, ifindex, __u32), MEMBER(udpesp_parser_key, port, __be16),
	MEMBER(udpesp_parser_key, family, __u8),   MEMBER(udpesp_parser_key, pad, __u8),
	MEMBER(udpesp_parser_key, addr, __be32),
};

static const struct abi_member parser_val_members[] = {
	MEMBER(udpesp_parser_val, handle, __u32),
	MEMBER(udpesp_parser_val, encap, __u8),
	MEMBER(udpesp_parser_val, pad, __u8),
};

static const struct abi_member port_val_members[] = {
	MEMBER(udpesp_port_val, entries, __u16),
	MEMBER(udpesp_port_val, variants, __u8),
	MEMBER(udpesp_port_val, pad, __u8),
};

static const struct abi_member sa_key_members[] = {
	MEMBER(udpesp_sa_key, spi, __be32),
	MEMBER(udpesp_sa_key, family, __u8),
	MEMBER(udpesp_sa_key, pad, __u8),
	MEMBER(udpesp_sa_key, daddr, __be32),
};

static const struct abi_member sa_members[] = {
	MEMBER(udpesp_sa, handle, __u32),  MEMBER(udpesp_sa, slot, __u32),
	MEMBER(udpesp_sa, parser, __u32),  MEMBER(udpesp_sa, flags, __u32),
	MEMBER(udpesp_sa, backend, __u8),  MEMBER(udpesp_sa, mode, __u8),
	MEMBER(udpesp_sa, alg, __u8),	   MEMBER(udpesp_sa, encap, __u8),
	MEMBER(udpesp_sa, min_len, __u16), MEMBER(udpesp_sa, pad16, __u16),
	MEMBER(udpesp_sa, gen, __u32),	   MEMBER(udpesp_sa, pad, __u32),
};

static const struct abi_member replay_members[] = {
	MEMBER(udpesp_replay, top, __u64),
	MEMBER(udpesp_replay, lock, __u32),
	MEMBER(udpesp_replay, window, __u32),
	MEMBER(udpesp_replay, bitmap, __u64),
};

static const struct abi_member sa_stats_members[] = {
	MEMBER(udpesp_sa_stats, rx_packets, __u64),
	MEMBER(udpesp_sa_stats, rx_bytes, __u64),
	MEMBER(udpesp_sa_stats, packets, __u64),
	MEMBER(udpesp_sa_stats, bytes, __u64),
	MEMBER(udpesp_sa_stats, replay, __u64),
	MEMBER(udpesp_sa_stats, integrity_failed, __u64),
	MEMBER(udpesp_sa_stats, bad_padding, __u64),
	MEMBER(udpesp_sa_stats, bad_next_header, __u64),
	MEMBER(udpesp_sa_stats, tmpl_mismatch, __u64),
	MEMBER(udpesp_sa_stats, no_worker, __u64),
	MEMBER(udpesp_sa_stats, hdr_error, __u64),
	MEMBER(udpesp_sa_stats, inner_error, __u64),
	MEMBER(udpesp_sa_stats, dummy, __u64),
	MEMBER(udpesp_sa_stats, ecn_dropped, __u64),
	MEMBER(udpesp_sa_stats, pad, __u64),
};

static const struct abi_member xdp_meta_members[] = {
	MEMBER(udpesp_xdp_meta, magic, __u32),	 MEMBER(udpesp_xdp_meta, slot, __u32),
	MEMBER(udpesp_xdp_meta, gen, __u32),	 MEMBER(udpesp_xdp_meta, seq_hi, __u32),
	MEMBER(udpesp_xdp_meta, l3_off, __u16),	 MEMBER(udpesp_xdp_meta, l4_off, __u16),
	MEMBER(udpesp_xdp_meta, esp_off, __u16), MEMBER(udpesp_xdp_meta, family, __u8),
	MEMBER(udpesp_xdp_meta, pad, __u8),
};

/* The kfunc backend's object (build/udpesp_kf.bpf.o): its own BTF. */
static const struct abi_member kf_sa_members[] = {
	/* A kptr in BPF, its BTF a pointer: no type name. */
	{ .name = "ctx", .type = "", .offset = 0, .size = 8 },
	MEMBER(udpesp_kf_sa, gen, __u32),
	MEMBER(udpesp_kf_sa, mode, __u8),
	MEMBER(udpesp_kf_sa, inner_family, __u8),
	MEMBER(udpesp_kf_sa, ready, __u8),
	MEMBER(udpesp_kf_sa, esn, __u8),
	MEMBER(udpesp_kf_sa, salt, __u8),
	MEMBER(udpesp_kf_sa, icv_len, __u8),
	MEMBER(udpesp_kf_sa, pad2, __u8),
	MEMBER(udpesp_kf_sa, sel_src, udpesp_kf_addr),
	MEMBER(udpesp_kf_sa, orig_src, udpesp_kf_addr),
	MEMBER(udpesp_kf_sa, peer, udpesp_kf_addr),
	MEMBER(udpesp_kf_sa, peer_port, __be16),
	MEMBER(udpesp_kf_sa, pad3, __u8),
	MEMBER(udpesp_kf_sa, sel_dst, udpesp_kf_addr),
	MEMBER(udpesp_kf_sa, pad4, __u8),
	MEMBER(udpesp_kf_sa, ghash_hi, __u64),
	MEMBER(udpesp_kf_sa, ghash_lo, __u64),
};

static const struct abi_member kf_addr_members[] = {
	MEMBER(udpesp_kf_addr, family, __u8),
	MEMBER(udpesp_kf_addr, prefixlen, __u8),
	MEMBER(udpesp_kf_addr, pad, __u8),
	MEMBER(udpesp_kf_addr, addr, __be32),
};

static const struct abi_member kf_peer_ev_members[] = {
	MEMBER(udpesp_kf_peer_ev, slot, __u32),	 MEMBER(udpesp_kf_peer_ev, gen, __u32),
	MEMBER(udpesp_kf_peer_ev, family, __u8), MEMBER(udpesp_kf_peer_ev, pad, __u8),
	MEMBER(udpesp_kf_peer_ev, port, __be16), MEMBER(udpesp_kf_peer_ev, addr, __be32),
};

static struct btf *btf;

static void btf_open(void)
{
	const char *path = bpf_obj_path();

	btf = btf__parse_elf(path, NULL);
	cr_assert_not_null(btf, "no BTF in %s (%s): run make, or set UDPESP_BPF_OBJ", path,
			   strerror(errno));
}

static void btf_close(void)
{
	btf__free(btf);
	btf = NULL;
}

/* Skip const/volatile/restrict and arrays down to the named element type. */
static const struct btf_type *element_type(__u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_array(t))) {
		id = btf_is_array(t) ? btf_array(t)->type : t->type;
		t = btf__type_by_id(btf, id);
	}
	return t;
}

/* The C side alone: the table covers the struct with no hole, in order. */
static void check_table_covers(const char *name, size_t size, const struct abi_member *m, size_t n)
{
	size_t end = 0;

	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(
			m[i].offset, end,
			"struct %s: member %s at %zu, expected %zu (hole, or a member missing from the table)",
			name, m[i].name, m[i].offset, end);
		end = m[i].offset + m[i].size;
	}
	cr_assert_eq(
		end, size,
		"struct %s: table ends at %zu but sizeof is %zu (member missing from the table?)",
		name, end, size);
}

static void check_struct(const char *name, size_t size, const struct abi_member *m, size_t n)
{
	const struct btf_member *bm;
	const struct btf_type *t;
	__s32 id;

	check_table_covers(name, size, m, n);

	id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	cr_assert_gt(id, 0, "struct %s is not in the BTF of %s", name, bpf_obj_path());
	t = btf__type_by_id(btf, id);
	cr_assert_not_null(t);
	cr_assert_eq(btf__resolve_size(btf, id), (__s64)size,
		     "struct %s: BTF size %lld, sizeof %zu", name,
		     (long long)btf__resolve_size(btf, id), size);
	cr_assert_eq(btf_vlen(t), n, "struct %s: %u members in BTF, %zu in C", name, btf_vlen(t),
		     n);

	bm = btf_members(t);
	for (size_t i = 0; i < n; i++, bm++) {
		const char *bname = btf__name_by_offset(btf, bm->name_off);
		const struct btf_type *et = element_type(bm->type);
		const char *tname;

		cr_assert_str_eq(bname, m[i].name, "struct %s: member %zu is %s in BTF, %s in C",
				 name, i, bname, m[i].name);
		cr_assert_eq(btf_member_bitfield_size(t, i), 0,
			     "struct %s: %s is a bitfield in BTF", name, bname);
		cr_assert_eq(btf_member_bit_offset(t, i), m[i].offset * 8,
			     "struct %s: %s at bit %u in BTF, %zu in C", name, bname,
			     btf_member_bit_offset(t, i), m[i].offset * 8);
		cr_assert_eq(btf__resolve_size(btf, bm->type), (__s64)m[i].size,
			     "struct %s: %s has %lld bytes in BTF, %zu in C", name, bname,
			     (long long)btf__resolve_size(btf, bm->type), m[i].size);
		cr_assert_not_null(et, "struct %s: %s has no type", name, bname);
		tname = btf__name_by_offset(btf, et->name_off);
		cr_assert_str_eq(tname, m[i].type, "struct %s: %s is %s in BTF, %s in C", name,
				 bname, tname, m[i].type);
	}
}

#define CHECK_STRUCT(s, members) check_struct(#s, sizeof(struct s), members, ARRAY_SIZE(members))

TestSuite(abi, .init = btf_open, .fini = btf_close);

Test(abi, parser_key_matches_btf)
{
	CHECK_STRUCT(udpesp_parser_key, parser_key_members);
}

Test(abi, parser_val_matches_btf)
{
	CHECK_STRUCT(udpesp_parser_val, parser_val_members);
}

Test(abi, port_val_matches_btf)
{
	CHECK_STRUCT(udpesp_port_val, port_val_members);
}

Test(abi, sa_key_matches_btf)
{
	CHECK_STRUCT(udpesp_sa_key, sa_key_members);
}

Test(abi, sa_matches_btf)
{
	CHECK_STRUCT(udpesp_sa, sa_members);
}

Test(abi, replay_matches_btf)
{
	CHECK_STRUCT(udpesp_replay, replay_members);
}

Test(abi, sa_stats_matches_btf)
{
	CHECK_STRUCT(udpesp_sa_stats, sa_stats_members);
}

/*
 * Never a map key or value: it is in BTF only if the program makes it so.
 * udpespd's AF_XDP workers read it, so a layout drift must fail here.
 */
Test(abi, xdp_meta_matches_btf)
{
	CHECK_STRUCT(udpesp_xdp_meta, xdp_meta_members);
	/* Kernel limit on XDP metadata: at most 32 bytes, a multiple of 4. */
	cr_assert_leq(sizeof(struct udpesp_xdp_meta), 32);
	cr_assert_eq(sizeof(struct udpesp_xdp_meta) % 4, 0);
}

struct counter_enumerator {
	const char *name;
	int value;
};

#define COUNTER_ENUMERATOR(id, name, help) { "UDPESP_CNT_" #id, UDPESP_CNT_##id },
static const struct counter_enumerator counters[] = {
	UDPESP_COUNTERS(COUNTER_ENUMERATOR){ "UDPESP_CNT_MAX", UDPESP_CNT_MAX },
};
#undef COUNTER_ENUMERATOR

Test(abi, counter_enum_matches_btf)
{
	const struct btf_type *t;
	const struct btf_enum *e;
	__s32 id;

	/* The table above is the C enum: UDPESP_CNT_MAX counts the reasons. */
	cr_assert_eq(ARRAY_SIZE(counters), (size_t)UDPESP_CNT_MAX + 1);

	id = btf__find_by_name_kind(btf, "udpesp_counter", BTF_KIND_ENUM);
	if (id <= 0)
		cr_skip_test("enum udpesp_counter is not in the BTF of %s", bpf_obj_path());
	t = btf__type_by_id(btf, id);
	cr_assert_eq(btf_vlen(t), ARRAY_SIZE(counters),
		     "enum udpesp_counter: %u enumerators in BTF, %zu in C", btf_vlen(t),
		     ARRAY_SIZE(counters));
	e = btf_enum(t);
	for (size_t i = 0; i < ARRAY_SIZE(counters); i++, e++) {
		const char *name = btf__name_by_offset(btf, e->name_off);

		cr_assert_str_eq(name, counters[i].name, "enumerator %zu is %s in BTF, %s in C", i,
				 name, counters[i].name);
		cr_assert_eq(e->val, counters[i].value, "%s = %d in BTF, %d in C", name, e->val,
			     counters[i].value);
	}
}

/* What each map of the object is keyed and valued with, by BTF name. */
struct map_types {
	const char *name;
	const char *key;
	const char *value;
	size_t key_size;
	size_t value_size;
};

static const struct map_types maps[] = {
	{ UDPESP_MAP_PORTS, "__u32", "struct udpesp_port_val", 4, sizeof(struct udpesp_port_val) },
	{ UDPESP_MAP_PARSER, "struct udpesp_parser_key", "struct udpesp_parser_val",
	  sizeof(struct udpesp_parser_key), sizeof(struct udpesp_parser_val) },
	{ UDPESP_MAP_SA, "struct udpesp_sa_key", "struct udpesp_sa", sizeof(struct udpesp_sa_key),
	  sizeof(struct udpesp_sa) },
	{ UDPESP_MAP_REPLAY, "__u32", "struct udpesp_replay", 4, sizeof(struct udpesp_replay) },
	{ UDPESP_MAP_SA_STATS, "__u32", "struct udpesp_sa_stats", 4,
	  sizeof(struct udpesp_sa_stats) },
	{ UDPESP_MAP_STATS, "__u32", "__u64", 4, 8 },
	{ UDPESP_MAP_XSKS, "__u32", "__u32", 4, 4 },
	{ UDPESP_MAP_XSK_BASE, "__u32", "__u32", 4, 4 },
	{ UDPESP_MAP_XSK_CNT, "__u32", "struct udpesp_xsk_counters", 4,
	  sizeof(struct udpesp_xsk_counters) },
	{ UDPESP_MAP_XSK_SA, "__u32", "struct udpesp_sa_stats", 4, sizeof(struct udpesp_sa_stats) },
	{ UDPESP_MAP_KF_PROG, "__u32", "__u32", 4, 4 },
};

static struct bpf_object *obj;

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void obj_open(void)
{
	const char *path = bpf_obj_path();

	libbpf_set_print(libbpf_quiet);
	obj = bpf_object__open_file(path, NULL);
	cr_assert_not_null(obj, "cannot open %s (%s): run make, or set UDPESP_BPF_OBJ", path,
			   strerror(errno));
}

static void obj_close(void)
{
	bpf_object__close(obj);
	obj = NULL;
}

/* "struct NAME" for structs, the plain name (e.g. a typedef) otherwise. */
static void btf_type_name(const struct btf *b, __u32 id, char *buf, size_t len)
{
	const struct btf_type *t = btf__type_by_id(b, id);

	while (t && btf_is_mod(t))
		t = btf__type_by_id(b, t->type);
	if (!t || !id) {
		snprintf(buf, len, "(none)");
		return;
	}
	snprintf(buf, len, "%s%s", btf_is_struct(t) ? "struct " : "",
		 btf__name_by_offset(b, t->name_off));
}

static const struct map_types *expected_map(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++)
		if (!strcmp(maps[i].name, name))
			return &maps[i];
	return NULL;
}

Test(abi, maps_typed_with_shared_structs, .init = obj_open, .fini = obj_close)
{
	const struct btf *b = bpf_object__btf(obj);
	struct bpf_map *map;
	size_t seen = 0;
	char name[128];

	cr_assert_not_null(b, "%s has no BTF", bpf_obj_path());
	bpf_object__for_each_map(map, obj) {
		const char *mname = bpf_map__name(map);
		const struct map_types *want = expected_map(mname);

		cr_assert_not_null(want, "map %s is not in the test's table", mname);
		seen++;
		btf_type_name(b, bpf_map__btf_key_type_id(map), name, sizeof(name));
		cr_assert_str_eq(name, want->key, "map %s: key is %s, expected %s", mname, name,
				 want->key);
		btf_type_name(b, bpf_map__btf_value_type_id(map), name, sizeof(name));
		cr_assert_str_eq(name, want->value, "map %s: value is %s, expected %s", mname, name,
				 want->value);
		cr_assert_eq(bpf_map__key_size(map), want->key_size,
			     "map %s: key_size %u, expected %zu", mname, bpf_map__key_size(map),
			     want->key_size);
		cr_assert_eq(bpf_map__value_size(map), want->value_size,
			     "map %s: value_size %u, expected %zu", mname, bpf_map__value_size(map),
			     want->value_size);
	}
	cr_assert_eq(seen, ARRAY_SIZE(maps), "%zu maps in the object, %zu expected", seen,
		     ARRAY_SIZE(maps));
}

Test(abi, map_names_prefixed_and_short, .init = obj_open, .fini = obj_close)
{
	struct bpf_map *map;
	size_t n = 0;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		n++;
		cr_assert_eq(strncmp(name, "udpesp_", 7), 0, "map %s does not start with udpesp_",
			     name);
		cr_assert_leq(strlen(name), OBJ_NAME_MAX, "map %s is longer than %d characters",
			      name, OBJ_NAME_MAX);
	}
	cr_assert_gt(n, 0, "no maps in %s", bpf_obj_path());
}

Test(abi, map_sizes_follow_abi_limits, .init = obj_open, .fini = obj_close)
{
	struct bpf_map *map;

	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_STATS);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), UDPESP_CNT_MAX,
		     "udpesp_stats has %u slots for %d counters", bpf_map__max_entries(map),
		     UDPESP_CNT_MAX);
	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_PORTS);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), 65536, "one slot per UDP port");
	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_XSKS);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), UDPESP_MAX_XSKS);
	/* The SA table and the slot-indexed arrays are sized together. */
	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_SA);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), UDPESP_MAX_SA_DEFAULT);
	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_REPLAY);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), UDPESP_MAX_SA_DEFAULT);
	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_SA_STATS);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), UDPESP_MAX_SA_DEFAULT);
	map = bpf_object__find_map_by_name(obj, UDPESP_MAP_XSK_SA);
	cr_assert_not_null(map);
	cr_assert_eq(bpf_map__max_entries(map), UDPESP_MAX_SA_DEFAULT);
}

Test(abi, xdp_program_in_xdp_section, .init = obj_open, .fini = obj_close)
{
	struct bpf_program *prog;
	size_t n = 0;

	prog = bpf_object__find_program_by_name(obj, UDPESP_PROG_XDP);
	cr_assert_not_null(prog, "no program %s in %s", UDPESP_PROG_XDP, bpf_obj_path());
	cr_assert_str_eq(bpf_program__section_name(prog), "xdp");
	cr_assert_eq(bpf_program__type(prog), BPF_PROG_TYPE_XDP);

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);

		n++;
		cr_assert_eq(strncmp(name, "udpesp_", 7), 0,
			     "program %s does not start with udpesp_", name);
		cr_assert_leq(strlen(name), OBJ_NAME_MAX, "program %s is longer than %d characters",
			      name, OBJ_NAME_MAX);
	}
	cr_assert_eq(n, 1, "%zu programs in %s, expected only %s", n, bpf_obj_path(),
		     UDPESP_PROG_XDP);
}

static const char *kf_obj_path(void)
{
	const char *path = getenv("UDPESP_KF_BPF_OBJ");

	return path && *path ? path : "build/udpesp_kf.bpf.o";
}

static void kf_btf_open(void)
{
	btf = btf__parse_elf(kf_obj_path(), NULL);
	cr_assert_not_null(btf, "no BTF in %s (%s): run make, or set UDPESP_KF_BPF_OBJ",
			   kf_obj_path(), strerror(errno));
}

TestSuite(abi_kf, .init = kf_btf_open, .fini = btf_close);

Test(abi_kf, kf_sa_matches_btf)
{
	CHECK_STRUCT(udpesp_kf_sa, kf_sa_members);
	CHECK_STRUCT(udpesp_kf_addr, kf_addr_members);
	/* The GHASH tables are read as __u64. */
	cr_assert_eq(offsetof(struct udpesp_kf_sa, ghash_hi) % 8, 0);
}

Test(abi_kf, kf_peer_ev_matches_btf)
{
	CHECK_STRUCT(udpesp_kf_peer_ev, kf_peer_ev_members);
}

/* udpesp_kf_peer_set's context: udpespd writes it, the program reads it. */
static const struct abi_member kf_peer_args_members[] = {
	MEMBER(udpesp_kf_peer_args, slot, __u32),
	MEMBER(udpesp_kf_peer_args, err, __s32),
	MEMBER(udpesp_kf_peer_args, peer, udpesp_kf_addr),
	MEMBER(udpesp_kf_peer_args, port, __be16),
	MEMBER(udpesp_kf_peer_args, pad, __u8),
};

Test(abi_kf, kf_peer_args_match_btf)
{
	CHECK_STRUCT(udpesp_kf_peer_args, kf_peer_args_members);
}

/* The ring udpespd reads, by name, not pinned (it would outlive udpespd). */
Test(abi_kf, kf_peer_ring)
{
	struct bpf_object *kobj;
	struct bpf_map *map;

	libbpf_set_print(libbpf_quiet);
	kobj = bpf_object__open_file(kf_obj_path(), NULL);
	cr_assert_not_null(kobj, "cannot open %s (%s)", kf_obj_path(), strerror(errno));
	map = bpf_object__find_map_by_name(kobj, UDPESP_MAP_KF_PEER);
	cr_assert_not_null(map, "no map %s", UDPESP_MAP_KF_PEER);
	cr_assert_eq(bpf_map__type(map), BPF_MAP_TYPE_RINGBUF);
	cr_assert_null(bpf_map__pin_path(map));
	cr_assert_leq(strlen(UDPESP_MAP_KF_PEER), OBJ_NAME_MAX);
	bpf_object__close(kobj);
}
