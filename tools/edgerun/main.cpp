#include <cstdio>

int main() {
  std::puts("edgerun");
  return 0;
}
