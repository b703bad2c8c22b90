// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for ctlite's table: sizing from parameters and RAM, and the
 * entry caches.  They call the real functions of the loaded ctlite module.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/socket.h>

#include <ctlite/table.h>

#define RAM_PAGES(bytes)	((unsigned long)((bytes) >> PAGE_SHIFT))

static void hashsize_defaults_from_ram_like_nf_conntrack(struct kunit *test)
{
	static const struct {
		u64 ram;
		unsigned int hashsize;
	} cases[] = {
		{ 64ULL * SZ_1M, 1024 },	/* floor */
		{ 512ULL * SZ_1M, 4096 },	/* 1 bucket per 128 KiB */
		{ 1ULL * SZ_1G, 8192 },		/* exactly 1 GiB: still by RAM */
		{ 2ULL * SZ_1G, 65536 },	/* above 1 GiB */
		{ 4ULL * SZ_1G, 65536 },	/* exactly 4 GiB */
		{ 16ULL * SZ_1G, 262144 },	/* above 4 GiB */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ctlite_size size = { };

		KUNIT_ASSERT_EQ(test, 0, ctlite_size_table(&size, false, false,
							   RAM_PAGES(cases[i].ram)));
		KUNIT_EXPECT_EQ_MSG(test, size.hashsize, cases[i].hashsize,
				    "RAM %llu MiB", cases[i].ram >> 20);
		/* defaulted hashsize: max factor one */
		KUNIT_EXPECT_EQ(test, size.max, size.hashsize);
	}
}

static void given_hashsize_gives_eight_entries_per_bucket(struct kunit *test)
{
	struct ctlite_size size = { .hashsize = 131072 };

	KUNIT_ASSERT_EQ(test, 0, ctlite_size_table(&size, true, false,
						   RAM_PAGES(16ULL * SZ_1G)));
	KUNIT_EXPECT_EQ(test, size.hashsize, 131072U);
	KUNIT_EXPECT_EQ(test, size.max, 1048576U);
}

static void given_max_is_kept(struct kunit *test)
{
	struct ctlite_size size = { .hashsize = 1024, .max = 100 };

	KUNIT_ASSERT_EQ(test, 0, ctlite_size_table(&size, true, true,
						   RAM_PAGES(SZ_1G)));
	KUNIT_EXPECT_EQ(test, size.hashsize, 1024U);
	KUNIT_EXPECT_EQ(test, size.max, 100U);
}

static void derived_max_stays_within_half_of_ram(struct kunit *test)
{
	/* 8 x 2^24 entries would need gigabytes on a 64 MiB machine */
	struct ctlite_size size = { .hashsize = CTLITE_HASHSIZE_MAX };
	u64 ram = 64ULL * SZ_1M;

	KUNIT_ASSERT_EQ(test, 0, ctlite_size_table(&size, true, false,
						   RAM_PAGES(ram)));
	KUNIT_EXPECT_GT(test, size.max, 0U);
	KUNIT_EXPECT_LE(test, (u64)size.max * ctlite_entry_size(AF_INET6),
			ram / 2);
}

static void out_of_range_params_are_refused(struct kunit *test)
{
	static const struct {
		unsigned int hashsize, max;
		bool hashsize_given, max_given;
	} bad[] = {
		{ 0, 0, true, false },
		{ CTLITE_HASHSIZE_MIN - 1, 0, true, false },
		{ CTLITE_HASHSIZE_MAX + 1, 0, true, false },
		{ 0, 0, false, true },
		{ 0, CTLITE_MAX_MAX + 1, false, true },
		{ 1024, UINT_MAX, true, true },
		/* 2^30 entries cannot fit in half of 16 GiB */
		{ 1024, CTLITE_MAX_MAX, true, true },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ctlite_size size = {
			.hashsize = bad[i].hashsize,
			.max = bad[i].max,
		};

		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    ctlite_size_table(&size, bad[i].hashsize_given,
						      bad[i].max_given,
						      RAM_PAGES(16ULL * SZ_1G)),
				    "case %u", i);
	}
}

static void range_limits_are_accepted(struct kunit *test)
{
	struct ctlite_size size = { .hashsize = CTLITE_HASHSIZE_MIN, .max = 1 };

	KUNIT_EXPECT_EQ(test, 0, ctlite_size_table(&size, true, true,
						   RAM_PAGES(SZ_1G)));
	size.hashsize = CTLITE_HASHSIZE_MAX;
	size.max = CTLITE_MAX_MIN;
	KUNIT_EXPECT_EQ(test, 0, ctlite_size_table(&size, true, true,
						   RAM_PAGES(SZ_1G)));
}

static struct kunit_case sizing_cases[] = {
	KUNIT_CASE(hashsize_defaults_from_ram_like_nf_conntrack),
	KUNIT_CASE(given_hashsize_gives_eight_entries_per_bucket),
	KUNIT_CASE(given_max_is_kept),
	KUNIT_CASE(derived_max_stays_within_half_of_ram),
	KUNIT_CASE(out_of_range_params_are_refused),
	KUNIT_CASE(range_limits_are_accepted),
	{}
};

static struct kunit_suite sizing_suite = {
	.name = "ctlite_sizing",
	.test_cases = sizing_cases,
};

static void ipv4_entry_fits_one_cache_line(struct kunit *test)
{
	KUNIT_EXPECT_GT(test, ctlite_entry_size(AF_INET), 0U);
	KUNIT_EXPECT_LE(test, ctlite_entry_size(AF_INET), 64U);
	KUNIT_EXPECT_LE(test, ctlite_entry_size(AF_INET6), 96U);
}

static void entries_come_with_their_family_zeroed_on_request(struct kunit *test)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct ctlite_entry *e = ctlite_entry_alloc(families[i],
							    GFP_KERNEL | __GFP_ZERO);

		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_EQ(test, (int)ctlite_entry_family(e), families[i]);
		KUNIT_EXPECT_EQ(test, e->deadline, 0U);
		KUNIT_EXPECT_EQ(test, e->net_id, 0U);
		/*
		 * Read the family's addresses up to the object's end: were
		 * the cache shorter than they need, KASAN would report it.
		 */
		KUNIT_EXPECT_NULL(test, memchr_inv(&e->addr, 0,
						   ctlite_entry_size(families[i]) -
						   offsetof(struct ctlite_entry, addr)));
		ctlite_entry_free(e);
	}
}

static struct kunit_case cache_cases[] = {
	KUNIT_CASE(ipv4_entry_fits_one_cache_line),
	KUNIT_CASE(entries_come_with_their_family_zeroed_on_request),
	{}
};

static struct kunit_suite cache_suite = {
	.name = "ctlite_cache",
	.test_cases = cache_cases,
};

kunit_test_suites(&sizing_suite, &cache_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for ctlite");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
