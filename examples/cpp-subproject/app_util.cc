// The parent project's own code, built with its own C++ standard (C++20).
#if __cplusplus > 202002L
#error "the parent's C++ standard leaked from mongo-migrate"
#endif
int app_util_answer() { return 42; }
