/* The oracle with rule 1 mutated (CR0.WP ignored), under other names, so
 * a test can compare it with the right one. */
#define MMU_MODEL_MUTATE 1
#define mmu_levels	 mutant_levels
#define mmu_reserved	 mutant_reserved
#define mmu_model	 mutant_model
#define mmu_ad_ok	 mutant_ad_ok
#include "../access_model.c"
