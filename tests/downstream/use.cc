// libpark.h from C++: extern "C", no C-only constructs in the header.
#include <libpark.h>

#include <cstdio>
#include <memory>

int main()
{
	std::unique_ptr<park_driver, void (*)(park_driver *)> driver(
	    park_driver_new(), park_driver_unref);
	std::unique_ptr<park_parker, void (*)(park_parker *)> parker(
	    park_parker_new(driver.get()), park_parker_unref);
	park_stats stats = {};
	stats.size = sizeof stats;
	bool ok = parker && park_parker_park_timeout(parker.get(), 0) >= 0 &&
		  park_parker_get_stats(parker.get(), &stats) == 0 &&
		  stats.size == sizeof stats;
	std::puts(ok ? "downstream c++: ok" : "downstream c++: FAILED");
	return ok ? 0 : 1;
}
