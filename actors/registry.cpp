#include "actors/registry.hpp"

#include "messages/error.hpp"

namespace es {

registry_actor::behavior_type
registry_behavior(registry_actor::stateful_pointer<registry_state> self,
                  std::shared_ptr<registry::catalog_source> source) {
  self->state.source = std::move(source);
  return {
      [=](register_atom, module_set& set) -> caf::result<uint64_t> {
        auto next =
            std::make_shared<registry::catalog>(*self->state.source->current());
        for (auto& module : set.modules)
          if (auto err = next->add(std::move(module)))
            return err;
        self->state.source->publish(next);
        return static_cast<uint64_t>(next->size());
      },
      [=](register_atom, mode_plugin& plugin) -> caf::result<uint64_t> {
        if (!plugin.check)
          return make_error(ec::invalid_argument,
                            "mode plugin without a check");
        auto next =
            std::make_shared<registry::catalog>(*self->state.source->current());
        next->add_mode_plugin(plugin.mode, std::move(plugin.check));
        self->state.source->publish(next);
        return static_cast<uint64_t>(next->size());
      },
      [=](catalog_atom) -> registry::catalog_ptr {
        return self->state.source->current();
      },
  };
}

} // namespace es
